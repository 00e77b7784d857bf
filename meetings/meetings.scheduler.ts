import crypto from 'node:crypto';
import * as repo from './meetings.repository.ts';
import * as starts from './meeting-starts.repository.ts';
import { START_BATCH } from './meetings.jobs.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { MeetingJobs } from './meetings.jobs.ts';

const system = { type: 'system' as const, id: null, name: 'scheduler', role: 'system' as const, customerOrgId: null };
/** Jobs sent at once by a tick (each send is a short transaction). */
const SEND_CONCURRENCY = 8;
/**
 * Start jobs are sent this long before their instant and wait for it on the clock: sending and a
 * worker's fetch (up to the poll interval) are then off the start's critical path.
 */
const START_LOOKAHEAD_MS = 3_000;

// The scheduler: a loop on the injected clock. Each tick sends the jobs that are due, each with an
// idempotency key, so several instances ticking at once still start and end each meeting once.
export type SchedulerOptions = { tickMs?: number; statusIntervalMs?: number; reconcileIntervalMs?: number };

export function createScheduler(services: PlatformServices, jobs: MeetingJobs, options: SchedulerOptions & { extendSeries?: () => Promise<unknown> } = {}) {
  const { clock, database, logger } = services;
  const db = database.db;
  const tickMs = options.tickMs ?? 5_000;
  const statusIntervalMs = options.statusIntervalMs ?? 10_000;
  let running = false;
  let stopped = false;
  let lastPoll = 0;
  let lastReconcile = 0;
  let lastSeriesDay = -1;
  const reconcileIntervalMs = options.reconcileIntervalMs ?? 3_600_000;
  let loop: Promise<void> | undefined;
  let wake!: () => void;
  const stopSignal = new Promise<void>((resolve) => (wake = resolve));

  /** Sends many jobs a few at a time: 1,000 meetings due at once must not queue one by one. */
  async function sendAll<T>(items: T[], send: (item: T) => Promise<unknown>) {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, items.length) }, async () => {
      while (next < items.length) await send(items[next++]);
    }));
  }

  async function tick() {
    const now = clock.now();
    // Starts go in batches: one job per instant for up to START_BATCH meetings (bridge by bridge),
    // so 1,000 meetings on the hour are a few jobs. The key is the batch's content: instances that
    // read the same due meetings send the same job; differing reads make overlapping jobs, and the
    // claim in the job lets only one of them start each meeting.
    const due: { id: string; bridgeId: string; holdFrom: Date }[] = [];
    for (let page = await starts.upcomingStarts(db, now, new Date(now.getTime() + START_LOOKAHEAD_MS)); page.length; page = await starts.upcomingStarts(db, now, new Date(now.getTime() + START_LOOKAHEAD_MS), 500, page.at(-1))) due.push(...page);
    // At least as many batches as there are job workers across the instances: a burst in one batch
    // is started by one instance's one job while the others stay idle. Each bridge's meetings are
    // dealt over the instances (lanes), so every instance's share of the bridge's limit is used.
    await sendAll(startBatches(due, services.config.instances * services.config.jobConcurrency, services.config.instances), ({ at, ids }) => {
      const key = crypto.createHash('sha256').update(ids.join(',')).digest('base64url').slice(0, 22);
      return services.jobs.send(jobs.startMeeting, { at: at > now.getTime() ? new Date(at).toISOString() : undefined, occurrenceIds: ids }, { actor: system, idempotencyKey: `starts:${at}:${key}` });
    });
    await repo.missedStarts(db, now);
    for (let page = await repo.dueEnds(db, now); page.length; page = await repo.dueEnds(db, now, 500, page.at(-1))) {
      await sendAll(page, ({ id, endAt }) => services.jobs.send(jobs.endMeeting, { occurrenceId: id }, { actor: system, idempotencyKey: `end:${id}:${endAt.getTime()}` }));
    }
    const ongoing = await repo.ongoingOccurrences(db);
    if (ongoing.length) {
      const bridges = new Map((await repo.listBridges(db)).items.map((b) => [b.id, b]));
      for (const occ of ongoing) {
        for (const minutes of bridges.get(occ.bridgeId)?.endWarningMinutes ?? []) {
          if (!occ.warned.includes(minutes) && now.getTime() >= occ.endAt.getTime() - minutes * 60_000 && now < occ.endAt) {
            await services.jobs.send(jobs.warn, { occurrenceId: occ.id, minutes }, { actor: system, idempotencyKey: `warn:${occ.id}:${occ.endAt.getTime()}:${minutes}` });
          }
        }
      }
    }
    if (now.getTime() - lastPoll >= statusIntervalMs) {
      lastPoll = now.getTime();
      const bucket = Math.floor(now.getTime() / statusIntervalMs);
      for (const bridge of (await repo.listBridges(db)).items) {
        await services.jobs.send(jobs.pollStatus, { bridgeId: bridge.id }, { actor: system, idempotencyKey: `poll:${bridge.id}:${bucket}` });
      }
    }
    const day = Math.floor(now.getTime() / 86_400_000);
    if (day !== lastSeriesDay && options.extendSeries) {
      lastSeriesDay = day;
      await options.extendSeries();
    }
    if (now.getTime() - lastReconcile >= reconcileIntervalMs) {
      // Not at the first tick: a pool that was just synced needs no check.
      if (lastReconcile !== 0) {
        const bucket = Math.floor(now.getTime() / reconcileIntervalMs);
        for (const bridge of (await repo.listBridges(db)).items) {
          if (bridge.poolState === 'ready') await services.jobs.send(jobs.reconcilePool, { bridgeId: bridge.id }, { actor: system, idempotencyKey: `reconcile:${bridge.id}:${bucket}` });
        }
      }
      lastReconcile = now.getTime();
    }
  }

  /** After a poll: live meetings on nodes that went down move to a healthy node (M13). */
  async function failoverFrom(nodeIds: string[]) {
    for (const nodeId of nodeIds) {
      for (const occ of await repo.ongoingOccurrences(db, { nodeId })) {
        await services.jobs.send(jobs.failover, { occurrenceId: occ.id }, { actor: system, idempotencyKey: `failover:${occ.id}:${occ.failovers}` });
      }
    }
  }

  return {
    tick,
    failoverFrom,
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        while (!stopped) {
          try {
            await tick();
          } catch (error) {
            if (!stopped) logger.error({ err: error }, 'meetings scheduler tick failed');
          }
          // Wake at the next start or end if it comes before the next tick: starts are on time,
          // not up to a tick late.
          const now = clock.now();
          const next = await starts.nextWake(db, now, new Date(now.getTime() + START_LOOKAHEAD_MS)).catch(() => ({ start: undefined, end: undefined }));
          const times = [next.start && next.start.getTime() - START_LOOKAHEAD_MS, next.end?.getTime()].filter((t): t is number => t !== undefined);
          const wait = Math.max(0, Math.min(tickMs, ...times.map((t) => t - now.getTime())));
          await Promise.race([clock.sleep(wait), stopSignal]);
        }
      })();
    },
    async stop() {
      stopped = true;
      wake();
      await loop;
    },
  };
}


/**
 * Due meetings → batches: grouped by instant, ordered by bridge, cut at START_BATCH or into `workers`
 * batches of equal size when that is smaller (every instance's job workers get a part of the burst;
 * the cut depends only on the meetings and the configuration, so instances still send the same jobs).
 * With `lanes` > 1 (the instances), each bridge's meetings are dealt over that many lanes and a batch
 * holds one lane's: an instance sends at most its share of a node's request limit (floor(limit / N)),
 * so a bridge whose meetings all went to one instance would get 1/N of what its nodes allow. The
 * batches go lane after lane, so the jobs an instance fetches together are mostly of one lane.
 */
export function startBatches(due: { id: string; bridgeId: string; holdFrom: Date }[], workers = 1, lanes = 1) {
  const byInstant = new Map<number, typeof due>();
  for (const occ of due) {
    const list = byInstant.get(occ.holdFrom.getTime());
    if (list) list.push(occ);
    else byInstant.set(occ.holdFrom.getTime(), [occ]);
  }
  const batches: { at: number; ids: string[] }[] = [];
  for (const [at, list] of byInstant) {
    list.sort((a, b) => a.bridgeId.localeCompare(b.bridgeId) || a.id.localeCompare(b.id));
    const size = Math.min(START_BATCH, Math.max(1, Math.ceil(list.length / Math.max(1, workers))));
    const laneOf = new Array<string[]>(Math.max(1, lanes)).fill([]).map(() => [] as string[]);
    let bridgeId: string | undefined;
    let k = 0;
    for (const occ of list) {
      if (occ.bridgeId !== bridgeId) [bridgeId, k] = [occ.bridgeId, 0];
      laneOf[k++ % laneOf.length].push(occ.id);
    }
    for (const ids of laneOf) for (let i = 0; i < ids.length; i += size) batches.push({ at, ids: ids.slice(i, i + size) });
  }
  return batches;
}
