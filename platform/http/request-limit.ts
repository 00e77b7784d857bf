// At most `limit` requests in flight to one external server; the others wait in arrival order.
// Real servers throttle (a Cisco Meeting Server answers 503 "busy" when it is overloaded): queueing
// here keeps a burst of Switchboard's own work from tripping that. The limit can change while
// requests are waiting (a bridge's setting edited, read again with the bridge); a lower limit lets
// the requests already in flight finish and holds the next ones until the count is below it.

export type RequestLimit = {
  run<T>(fn: () => Promise<T>): Promise<T>;
  setLimit(limit: number): void;
  readonly limit: number;
  readonly inFlight: number;
  /** The most requests that were in flight at once (what the bench and tests check). */
  readonly peak: number;
  readonly waiting: number;
};

export function createRequestLimit(initial: number): RequestLimit {
  let limit = Math.max(1, Math.floor(initial));
  let inFlight = 0;
  let peak = 0;
  const queue: (() => void)[] = [];

  function next() {
    while (inFlight < limit && queue.length > 0) {
      inFlight++;
      if (inFlight > peak) peak = inFlight;
      queue.shift()!();
    }
  }

  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (inFlight < limit && queue.length === 0) {
        inFlight++;
        if (inFlight > peak) peak = inFlight;
      } else {
        await new Promise<void>((resolve) => {
          queue.push(resolve);
        });
      }
      try {
        return await fn();
      } finally {
        inFlight--;
        next();
      }
    },
    setLimit(value: number) {
      limit = Math.max(1, Math.floor(value));
      next();
    },
    get limit() {
      return limit;
    },
    get inFlight() {
      return inFlight;
    },
    get peak() {
      return peak;
    },
    get waiting() {
      return queue.length;
    },
  };
}

/**
 * One instance's part of a limit that N instances share without talking to each other per request:
 * floor(limit / N), at least one (else the server could not be reached at all — with more
 * instances than the limit, they together exceed it).
 */
export function instanceShare(limit: number, instances: number): number {
  return Math.max(1, Math.floor(limit / Math.max(1, instances)));
}
