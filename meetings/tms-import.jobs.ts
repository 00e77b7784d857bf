import { z } from 'zod';
import { defineJob } from '../platform/jobs/define-job.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { TmsImport } from './tms-import.service.ts';

export const mappingLine = z.strictObject({ system: z.string().trim().min(1).max(255), bridge: z.string().trim().min(1).max(255).optional(), ignore: z.boolean().optional() });

// The TMS import (#16 part 2) as a job: the TMS password travels sealed in the job's input (the
// jobs API masks the field as well) and is opened only to call the TMS.
export function createTmsImportJobs(services: PlatformServices, tmsImport: TmsImport) {
  return {
    importTms: defineJob({
      queue: 'meetings.import-tms',
      input: z.object({
        url: z.string(),
        username: z.string(),
        passwordSealed: z.string(),
        insecureTls: z.boolean().optional(),
        mapping: z.array(mappingLine).optional(),
        horizonDays: z.number().int().optional(),
        actor: z.object({ type: z.enum(['user', 'token', 'system']), id: z.string().nullable(), name: z.string(), role: z.string(), customerOrgId: z.string().nullable().optional() }),
      }),
      title: (i) => `Import bookings from TMS ${new URL(i.url).host}`,
      // One import per TMS at a time: a second is refused while one is queued or running.
      policy: 'exclusive',
      retryLimit: 2,
      retryDelaySeconds: 10,
      expireInSeconds: 3 * 3600,
      // A retry plans again: what was booked is found by its external ids and left as it is.
      run: (ctx, i) => tmsImport.run(ctx, { url: i.url, username: i.username, password: services.secrets.open(i.passwordSealed), insecureTls: i.insecureTls }, { mapping: i.mapping, horizonDays: i.horizonDays }, { customerOrgId: null, ...i.actor } as Actor),
    }),
  };
}

export type TmsImportJobs = ReturnType<typeof createTmsImportJobs>;
