// A second Switchboard instance for the bookings bench (meetings.bench.ts), in a process of its own
// as deployed: several instances on one PostgreSQL database, each with its own main thread. It
// takes the first instance's config (same database, same secret key) on IPC, answers with its URL,
// and closes when told to.
import { ManualClock } from '../platform/clock.ts';
import { createSwitchboard } from '../platform/app.ts';
import { createMeetingsArea } from '../meetings/meetings.area.ts';
import type { Config } from '../platform/config.ts';

process.once('message', async ({ config, now }: { config: Config; now: string }) => {
  // The same clock time as the first instance, held still: the bench moves no time.
  const sb = await createSwitchboard({ clock: new ManualClock(now), areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 1e12, reconcileIntervalMs: 1e12 })], config, createFirstAdmin: false });
  const url = await sb.listen();
  process.send!({ type: 'ready', url });
  process.once('message', async () => {
    await sb.close();
    process.send!({ type: 'closed' }, () => process.exit(0));
  });
});
