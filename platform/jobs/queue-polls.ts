/**
 * Who asks the database for a queue's next job, and when (#18).
 *
 * pg-boss polls once per worker, and a queue has a worker per unit of its concurrency: 25 queues of
 * 4 asked about 100 times a second while nothing was due. On the embedded database those statements
 * took a fifth of a core of its thread at idle and queued on its one connection ahead of real work
 * (accept batches, billing pages), and their garbage kept the server's heap from ever shrinking.
 *
 * Here each worker polls on its own only every BACKSTOP_SECONDS; every `intervalSeconds` one idle
 * worker of each queue is woken to fetch, and a worker that receives a job wakes another idle one, so
 * a backlog still reaches every worker within a few fetches (pg-boss's burst mode then keeps each
 * fetching while jobs are ready). Nothing waits longer for a worker than before: a queue with an idle
 * worker is asked every interval, as one worker polling did.
 */

/** A worker's own poll when nobody wakes it: a backstop should a wake be lost. */
export const BACKSTOP_SECONDS = 30;

type Queue = { workers: string[]; idle: Set<string>; next: number };

/** Registers one worker and returns its id; `handler` wraps the worker's handling of a fetch. */
export type RegisterWorker = (
  pollingIntervalSeconds: number,
  handler: <T>(run: () => Promise<T>) => Promise<T>,
) => Promise<string>;

export function createQueuePolls(deps: { intervalSeconds: number; wake: (workerId: string) => void }) {
  const queues = new Map<string, Queue>();
  let timer: NodeJS.Timeout | undefined;

  /** Wakes the next idle worker of the queue after the last one woken (round robin), if any. */
  function wakeOne(queue: Queue, except?: string) {
    const count = queue.workers.length;
    for (let i = 0; i < count; i++) {
      const at = (queue.next + i) % count;
      const id = queue.workers[at]!;
      if (id === except || !queue.idle.has(id)) continue;
      queue.next = (at + 1) % count;
      deps.wake(id);
      return;
    }
  }

  return {
    /** Registers `concurrency` workers of one queue, each through `register`. */
    async add(name: string, concurrency: number, register: RegisterWorker) {
      const queue: Queue = { workers: [], idle: new Set(), next: 0 };
      queues.set(name, queue);
      for (let i = 0; i < concurrency; i++) {
        let id: string | undefined;
        id = await register(Math.max(BACKSTOP_SECONDS, deps.intervalSeconds), async (run) => {
          // A worker with a job is not idle: another one takes over the queue's polls, and is
          // woken at once in case more jobs are ready.
          if (id) queue.idle.delete(id);
          wakeOne(queue, id);
          try {
            return await run();
          } finally {
            if (id) queue.idle.add(id);
          }
        });
        queue.workers.push(id);
        queue.idle.add(id);
      }
    },

    start() {
      if (timer) return;
      timer = setInterval(() => {
        for (const queue of queues.values()) wakeOne(queue);
      }, deps.intervalSeconds * 1000);
      timer.unref();
    },

    stop() {
      clearInterval(timer);
      timer = undefined;
      queues.clear();
    },
  };
}
