// One clock for the whole server: the scheduler, jobs, sessions, audit and the Lab simulators all
// ask it for the time, so tests move time forward instead of sleeping.
export type Clock = {
  now(): Date;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
};

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A clock that only moves when told to; sleepers wake when advance() passes their deadline. */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: Array<{ until: number; wake: () => void }> = [];

  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#sleepers.push({ until: this.#now + ms, wake: resolve });
    });
  }

  advance(ms: number): void {
    this.set(new Date(this.#now + ms));
  }

  set(time: Date | string): void {
    this.#now = new Date(time).getTime();
    const due = this.#sleepers.filter((s) => s.until <= this.#now);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#now);
    for (const sleeper of due) sleeper.wake();
  }
}
