import * as repo from './meetings.repository.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { MeetingJobs } from './meetings.jobs.ts';

const system = { type: 'system' as const, id: null, name: 'scheduler', role: 'system' as const, customerOrgId: null };
/** Jobs sent at once by a tick (each send is a short transaction). */
const SEND_CONCURRENCY = 8;

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
    // Page after page: a page is capped, and a start must not wait for the next tick.
    for (let page = await repo.dueStarts(db, now); page.length; page = await repo.dueStarts(db, now, 500, page.at(-1))) {
      await sendAll(page, ({ id }) => services.jobs.send(jobs.startMeeting, { occurrenceId: id }, { actor: system, idempotencyKey: `start:${id}` }));
    }
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
          const next = await repo.nextDue(db, clock.now()).catch(() => undefined);
          const wait = next ? Math.max(0, Math.min(tickMs, next.getTime() - clock.now().getTime())) : tickMs;
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

