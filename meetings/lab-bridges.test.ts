import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labArea } from '../lab/lab.area.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { meetingsArea } from './meetings.area.ts';

// `npm start`: with the Lab on, its CMS clusters are registered as bridges with a ready pool.
describe('Lab CMS clusters become bridges', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea, meetingsArea], config: { lab: 'true', jobPollSeconds: 0.5 } as never });
  });
  after(async () => t?.close());

  test('both lab clusters are bridges, the 2-node one with its cluster, pools synced, bookable', async () => {
    const bridges = await waitFor('lab bridges with pools', async () => {
      const page = (await t.api('GET', '/api/v1/meetings/bridges')).body;
      return page.total === 2 && page.items.every((b: any) => b.poolState === 'ready') && page.items;
    }, { timeoutMs: 90_000, intervalMs: 250 });
    const nodes = await Promise.all(bridges.map(async (b: any) => (await t.api('GET', `/api/v1/meetings/bridges/${b.id}/nodes`)).body.items.length));
    assert.deepEqual(nodes.sort(), [1, 2]);
    const booked = await t.api('POST', '/api/v1/meetings/bookings', { title: 'First meeting', start: new Date(Date.now() + 3_600_000).toISOString(), durationMinutes: 30, timeZone: 'UTC' });
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
  });
});
