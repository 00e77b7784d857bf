// Another Switchboard instance for the Meetings benches (meetings.bench.ts), in a process of its own
// as deployed: several instances on one PostgreSQL database, each with its own main thread. It takes
// the bench's config (same database, same secret key) on IPC, answers with its URL, and closes when
// told to. Bookings: a clock held still (the bench moves no time). Starts: real time shifted by an
// offset the bench sets in every instance at once (`{ type: 'offset' }`), the scheduler at its defaults.
import { ManualClock, type Clock } from '../platform/clock.ts';
import { createSwitchboard } from '../platform/app.ts';
import { createMeetingsArea } from '../meetings/meetings.area.ts';
import type { Config } from '../platform/config.ts';

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
  process.on('message', async (message: { type: string; offset?: number }) => {
    if (message.type === 'offset' && shifted) {
      shifted.offset = message.offset!;
      process.send!({ type: 'offset-set' });
    }
    if (message.type === 'close') {
      await sb.close();
      process.send!({ type: 'closed' }, () => process.exit(0));
    }
  });
});
