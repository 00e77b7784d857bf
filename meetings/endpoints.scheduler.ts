import * as repo from './endpoints.repository.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { EndpointJobs } from './endpoints.jobs.ts';
import type { Obtp } from './obtp.service.ts';

const system = { type: 'system' as const, id: null, name: 'scheduler', role: 'system' as const, customerOrgId: null };
/**
 * A push that failed (all its retries) is sent again at most once per this much clock time while the
 * panel stays behind: the endpoint's ticket is open meanwhile.
 */
const PUSH_AGAIN_MS = 5 * 60_000;
/** Poll jobs sent at once by a round (each send is a short transaction). */
const SEND_CONCURRENCY = 8;

export type EndpointSchedulerOptions = { obtpTickMs?: number; endpointPollMs?: number };

// The endpoints' loop on the injected clock: status polls every `endpointPollMs`, and an OBTP round
// every `obtpTickMs` or at once when rooms of a booking change (`kick`). Jobs carry idempotency
// keys (poll: endpoint + time bucket; push: endpoint + the panel's hash now and the one it should
// have + a 5-minute bucket), so instances that run the same round send each job once, a panel that
// goes back to an earlier list (a cancel) is pushed again, and a push that failed is sent again.
export function createEndpointScheduler(services: PlatformServices, jobs: EndpointJobs, obtp: Obtp, options: EndpointSchedulerOptions = {}) {
  const { clock, logger } = services;
  const db = services.database.db;
  const tickMs = options.obtpTickMs ?? 5_000;
  const pollMs = options.endpointPollMs ?? 30_000;
  let lastPoll = 0;
  let stopped = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  async function sendAll<T>(items: T[], send: (item: T) => Promise<unknown>) {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, items.length) }, async () => {
      while (next < items.length) await send(items[next++]);
    }));
  }

  /**
   * One OBTP round: a push job for each endpoint whose panel is not what it should be, all sent in
   * one transaction (#17 part 4: a transaction per job cost more than the push after a bulk change).
   * A round that fails to send is logged; the next round sends what is still due.
   */
  async function obtpRound() {
    const due = await obtp.due();
    if (!due.length) return 0;
    const bucket = Math.floor(clock.now().getTime() / PUSH_AGAIN_MS);
    const items = due.map(({ endpointId, hash, from }) => ({ input: { endpointId }, idempotencyKey: `obtp:${endpointId}:${from ?? 'none'}:${hash}:${bucket}` }));
    await services.database
      .transaction((tx, sql) => services.jobs.sendMany(jobs.pushBookings, items, { actor: system, tx: { db: tx, sql } }))
      .catch((error) => logger.warn({ err: error, endpoints: due.length }, 'sending OBTP pushes failed'));
    return due.length;
  }

  async function pollRound() {
    const bucket = Math.floor(clock.now().getTime() / pollMs);
    const { items } = await repo.listEndpoints(db);
    await sendAll(items, (e) => services.jobs.send(jobs.pollEndpoint, { endpointId: e.id }, { actor: system, idempotencyKey: `poll-endpoint:${e.id}:${bucket}` }));
  }

  async function tick() {
    const now = clock.now().getTime();
    if (now - lastPoll >= pollMs) {
      lastPoll = now;
      await pollRound();
    }
    return obtpRound();
  }

  return {
    tick,
    obtpRound,
    pollRound,
    /** Run an OBTP round now rather than at the next tick (rooms changed, an endpoint came back). */
    kick() {
      wake?.();
    },
    start() {
      if (loop) return;
      loop = (async () => {
        while (!stopped) {
          try {
            await tick();
          } catch (error) {
            if (!stopped) logger.error({ err: error }, 'endpoints scheduler tick failed');
          }
          if (stopped) break;
          await Promise.race([clock.sleep(tickMs), new Promise<void>((resolve) => (wake = resolve))]);
          wake = undefined;
        }
      })();
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
