// Everything that happens later in the simulator (a dial-out starts ringing, a bulk sync completes, a
// CDR delivery is retried) is an entry on this timeline, keyed by the injected clock's time. Any request
// and a background loop run what is due, so tests drive the state machines by moving a ManualClock.
import type { Clock } from '../../platform/clock.ts';

type Entry = { at: number; seq: number; run: (at: number) => void };

export type Timeline = ReturnType<typeof createTimeline>;

export function createTimeline(clock: Clock) {
  const entries: Entry[] = [];
  let seq = 0;
  let running = false;

  /** Schedules `run` at absolute time `at` (ms); `run` receives its own due time so chains stay exact. */
  function at(time: number, run: (at: number) => void) {
    const entry: Entry = { at: time, seq: seq++, run };
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const other = entries[mid];
      if (other.at < time || (other.at === time && other.seq < entry.seq)) lo = mid + 1;
      else hi = mid;
    }
    entries.splice(lo, 0, entry);
  }

  /** Runs every entry due by now, including entries those entries schedule for no later than now. */
  function tick(): void {
    if (running || entries.length === 0) return;
    const now = clock.now().getTime();
    if (entries[0].at > now) return;
    running = true;
    try {
      while (entries.length > 0 && entries[0].at <= now) {
        const entry = entries.shift()!;
        entry.run(entry.at);
      }
    } finally {
      running = false;
    }
  }

  return { at, tick, size: () => entries.length };
}
