import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runFaultInvariants } from './fault-invariants.testkit.ts';

// Issue #14 part 4 (M9, M12, M13): meetings with dial-outs on a two-node Lab cluster while seeded
// random faults hit random nodes; the invariants are in fault-invariants.testkit.ts. Small counts so
// it fits CI on both databases; bench/meetings-faults.bench.ts runs the same with more. #17: three
// room codecs, OBTP rooms of some meetings, faults on the codecs, rooms pressing Join.
describe('Meetings: invariants under random faults (#14)', () => {
  for (const scenario of [{ seed: 14, cdrs: true }, { seed: 41, cdrs: false }]) {
    test(`seed ${scenario.seed}, CDRs ${scenario.cdrs ? 'on' : 'off'}: no shared or left calls, spaces reset, dial-in accepted, every meeting started; rooms in their own meeting once, panels exact`, { timeout: 900_000 }, async () => {
      const report = await runFaultInvariants({ ...scenario, meetings: 8, faults: 8, slots: 4, rooms: 3, log: (line) => console.log(line) });
      console.log(JSON.stringify({ ...report, violations: report.violations.length }));
      assert.deepEqual(report.violations, []);
      assert.ok(report.booked >= 4, 'enough meetings were booked');
      assert.equal(report.started, report.booked - report.roomCancels);
      assert.ok(report.roomMeetings >= 2, 'meetings were booked with rooms');
      assert.ok(report.joins > 0, 'rooms pressed Join and connected');
      assert.ok(report.dialIns > 0, 'dial-ins were checked');
    });
  }
});
