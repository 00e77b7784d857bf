// Another Switchboard instance for the Meetings benches (meetings.bench.ts), in a process of its own
// as deployed: several instances on one PostgreSQL database, each with its own main thread. It takes
// the bench's config (same database, same secret key) on IPC, answers with its URL, and closes when
// told to. Bookings: a clock held still (the bench moves no time). Starts: real time shifted by an
// offset the bench sets in every instance at once (`{ type: 'offset' }`), the scheduler at its defaults.
import { ManualClock, type Clock } from '../platform/clock.ts';
import { createSwitchboard } from '../platform/app.ts';
import { createMeetingsArea } from '../meetings/meetings.area.ts';
import type { Config } from '../platform/config.ts';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { profileCpu } from './cpu-profile.ts';

// MEETINGS_BENCH_CPU_PROF: statements this instance sent in the burst, by their first words, beside
// the profile (what a start costs the database, without pg_stat_statements on the server).
const statements = new Map<string, number>();
let counting = false;
if (process.env.MEETINGS_BENCH_CPU_PROF) {
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (counting) {
      const first = args[0] as string | { text?: string };
      const text = (typeof first === 'string' ? first : (first?.text ?? '')).replace(/\s+/g, ' ').trim().slice(0, 70);
      statements.set(text, (statements.get(text) ?? 0) + 1);
    }
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
}

/** Real time, shifted by an offset (the start-lateness bench's clock, see OffsetClock there). */
function offsetClock(initial: number): Clock & { offset: number } {
  return {
    offset: initial,
    now() {
      return new Date(Date.now() + this.offset);
    },
    sleep(ms: number) {
      return new Promise<void>((resolve) => setTimeout(resolve, ms));
    },
  };
}

type Start = { config: Config; now?: string; offset?: number };

process.once('message', async ({ config, now, offset }: Start) => {
  const shifted = offset !== undefined ? offsetClock(offset) : undefined;
  const sb = shifted
    ? await createSwitchboard({ clock: shifted, areas: [createMeetingsArea()], config, createFirstAdmin: false })
    : await createSwitchboard({ clock: new ManualClock(now!), areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 1e12, reconcileIntervalMs: 1e12 })], config, createFirstAdmin: false });
  const url = await sb.listen();
  process.send!({ type: 'ready', url });
  // MEETINGS_BENCH_CPU_PROF: this instance's main thread from the first offset (the start burst) to
  // the second (the ends).
  let offsets = 0;
  let stopProfile: (() => Promise<string | undefined>) | undefined;
  process.on('message', async (message: { type: string; offset?: number }) => {
    if (message.type === 'offset' && shifted) {
      offsets++;
      if (offsets === 1) {
        stopProfile = await profileCpu(process.env.MEETINGS_BENCH_CPU_PROF, `instance-${process.pid}`);
        counting = true;
      }
      if (offsets === 2 && stopProfile) {
        counting = false;
        const file = await stopProfile();
        if (file) fs.writeFileSync(path.join(path.dirname(file), `instance-${process.pid}.statements.json`), JSON.stringify(Object.fromEntries([...statements].sort((a, b) => b[1] - a[1])), null, 1));
      }
      shifted.offset = message.offset!;
      process.send!({ type: 'offset-set' });
    }
    if (message.type === 'close') {
      await sb.close();
      process.send!({ type: 'closed' }, () => process.exit(0));
    }
  });
});
