import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser } from '../../test/support/browser.ts';
import { ManualClock } from '../../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { createMeetingsArea } from '../meetings.area.ts';

// The Meetings console as an operator uses it, against the Lab's CMS simulator: add a bridge, set
// its pool, book a meeting with a dial-out, watch it start, control it live, end it (M1–M14).
const skip = process.env.DATABASE_URL ? 'browser tests run once, on the embedded database (DATABASE_URL is set)' : false;

describe('Meetings console in a browser', { skip }, () => {
  // The clock starts at the real time: the browser judges the session cookie's expiry by it.
  const clock = new ManualClock(new Date());
  const meetingStart = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
  let cms: CmsCluster;
  let spare: CmsCluster;
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;
  let bridgeId: string;

  /** Moves the server's clock in small steps (the scheduler and jobs run on it) until `probe` holds. */
  async function until(what: string, probe: () => Promise<boolean>, stepMs = 200, timeoutMs = 45_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await probe()) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      clock.advance(stepMs);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const visible = (locator: ReturnType<Page['getByRole']>) => async () => (await locator.count()) > 0;
  /** Waits until an input shows `value` (the page reloads it from the server after a change). */
  async function waitForValue(input: ReturnType<Page['getByLabel']>, value: string) {
    const deadline = Date.now() + 15_000;
    while ((await input.inputValue()) !== value) {
      if (Date.now() > deadline) throw new Error(`the input still shows ${await input.inputValue()}, not ${value}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const auth = { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` };
  /** What the simulated bridge itself says about a call leg. */
  const bridgeLeg = async (callLegId: string) => (await fetch(`${cms.nodes[0].baseUrl}/api/v1/callLegs/${callLegId}`, { headers: auth })).text();

  before(async () => {
    cms = await createCmsCluster({ name: 'console', nodes: [{ name: 'console-1', host: '127.0.0.1', port: 0 }], clock });
    spare = await createCmsCluster({ name: 'spare', nodes: [{ name: 'spare-1', host: '127.0.0.1', port: 0 }], clock });
    for (const c of [cms, spare]) {
      await c.start();
      c.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    }
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 600_000, backoffMs: 200, reconcileIntervalMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: spare.nodes[0].baseUrl, username: 'admin', password: 'admin', name: 'Spare CMS' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    ({ browser, page } = await signedInBrowser(t, { width: 1280, height: 900 }));
    await page.getByRole('link', { name: 'Meetings' }).click();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await cms?.stop();
    await spare?.stop();
  });

  test('M1/M4/M7: add the simulator as a bridge, name it, give it a pool', async () => {
    const form = page.getByRole('form', { name: 'Add bridge' });
    await form.getByLabel('Addresses').fill(cms.nodes[0].baseUrl);
    await form.getByLabel('Username').fill('admin');
    await form.getByLabel('Password').fill('admin');
    await form.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('table', { name: 'Added systems' }).getByRole('cell', { name: 'System added despite warnings', exact: true }).waitFor();
    await page.getByRole('link', { name: `No Name (${cms.nodes[0].baseUrl})` }).click();
    bridgeId = page.url().split('/').at(-1)!;
    await page.getByText('Blank System Name').waitFor();
    await page.getByRole('cell', { name: 'console-1', exact: true }).waitFor();

    const settings = page.getByRole('form', { name: 'Settings' });
    await settings.getByLabel('Name').fill('Console CMS');
    await settings.getByLabel('Domain').fill('lab.local');
    await settings.getByLabel('Numeric ID base').fill('7000');
    await settings.getByLabel('Numeric ID quantity').fill('2');
    await settings.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Pool sync started').waitFor();
    await until('pool ready', visible(page.getByText('pool 2 (ready)') as never));
    await page.getByRole('heading', { name: 'Console CMS' }).waitFor();
    await page.getByText('System has no open or acknowledged tickets').waitFor();

    // M4/M5: how a node is reached, entered and taken back in the Clustering table.
    const port = cms.nodes[0].port;
    const nodeForm = page.getByRole('form', { name: 'Address of console-1' });
    await nodeForm.getByLabel('New address of console-1').fill(`localhost:${port}`);
    await nodeForm.getByRole('button', { name: 'Set' }).click();
    await page.getByRole('cell', { name: `http://localhost:${port} (entered)`, exact: true }).waitFor();
    await nodeForm.getByRole('button', { name: 'Use advertised' }).click();
    // The advertised address is in its own column all along: the entered one going away is the sign.
    await page.getByRole('cell', { name: `http://localhost:${port} (entered)`, exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: cms.nodes[0].baseUrl, exact: true }).nth(1).waitFor();
    const nodes = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/nodes`)).body.items;
    assert.equal(nodes[0].addressOverride, null);
    assert.equal(nodes[0].address, cms.nodes[0].baseUrl);
  });

  test('M14: the routing preference is set and saved from the Bridges page', async () => {
    await page.getByRole('navigation', { name: 'Meetings' }).getByRole('link', { name: 'Bridges' }).click();
    const card = page.getByRole('region', { name: 'Routing preference' });
    await card.getByText('No preferred bridges').waitFor();
    await card.getByLabel('Bridge to prefer').selectOption({ label: 'Spare CMS' });
    await card.getByRole('button', { name: 'Prefer' }).click();
    await card.getByLabel('Bridge to prefer').selectOption({ label: 'Console CMS' });
    await card.getByRole('button', { name: 'Prefer' }).click();
    await card.getByRole('button', { name: 'Move Console CMS up' }).click();
    await card.getByRole('button', { name: 'Save order' }).click();
    await card.getByText('Routing preference saved.').waitFor();
    const saved = (await t.api('GET', '/api/v1/meetings/settings/routing')).body.preferredBridgeIds;
    assert.deepEqual(saved.length, 2);
    assert.equal(saved[0], bridgeId);
  });

  let meetingUrl: string;
  test('M8/M9: book with a dial-out (routed to the preferred bridge) and watch it start', async () => {
    await page.getByRole('navigation', { name: 'Meetings' }).getByRole('link', { name: 'Book' }).click();
    const form = page.getByRole('form', { name: 'Book a meeting' });
    await form.getByLabel('Title').fill('Console review');
    await form.getByLabel('Start (wall time in the time zone)').fill(meetingStart.toISOString().slice(0, 16));
    await form.getByLabel('Duration (minutes)').fill('60');
    await form.getByLabel('Time zone', { exact: true }).fill('UTC');
    await form.getByLabel('Dial out to (SIP URIs, comma-separated)').fill('alice@example.com');
    await form.getByLabel('Early join (minutes)').fill('0');
    await form.getByRole('button', { name: 'Book' }).click();
    await page.getByRole('status').getByText('Booked "Console review" — 1 meeting(s)').waitFor();
    const booking = (await t.api('GET', '/api/v1/meetings/bookings?limit=5')).body.items.find((b: any) => b.title === 'Console review');
    assert.equal(booking.bridgeId, bridgeId, 'routed to the first preferred bridge');

    clock.set(meetingStart);
    await page.getByRole('navigation', { name: 'Meetings' }).getByRole('link', { name: 'Ongoing' }).click();
    await until('the meeting is listed as ongoing', visible(page.getByRole('row', { name: /Console review/ }).getByRole('cell', { name: 'ongoing', exact: true })));
    await page.getByRole('link', { name: 'Console review' }).click();
    meetingUrl = page.url();
    await until('alice connected', visible(page.getByRole('row', { name: /alice@example\.com/ }).getByRole('cell', { name: 'connected', exact: true })));
  });

  test('M8: one meeting of a series gets its own dial-outs; the series keeps its list', async () => {
    const start = new Date(meetingStart.getTime() + 86_400_000);
    const series = await t.api('POST', '/api/v1/meetings/bookings', { title: 'Daily check', start: start.toISOString(), durationMinutes: 15, timeZone: 'UTC', recurrence: 'FREQ=DAILY;COUNT=2', dialOut: ['alice@example.com'], bridgeId });
    assert.equal(series.status, 201, JSON.stringify(series.body));
    const occs = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body.occurrences;
    await page.goto(`${t.url}/meetings/meetings/${occs[1].id}`);
    const form = page.getByRole('form', { name: 'Dial-outs of this meeting' });
    await form.getByText('Same as the series: alice@example.com.').waitFor();
    await form.getByLabel('Dial out to (SIP URIs, comma-separated)').fill('bob@example.com, carol@example.com');
    await form.getByRole('button', { name: 'Save for this meeting' }).click();
    await form.getByRole('status').getByText('Saved: this meeting dials bob@example.com, carol@example.com.').waitFor();
    await form.getByText('This meeting has its own list; the rest of the series dials: alice@example.com.').waitFor();
    const after = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body;
    assert.deepEqual(after.dialOut, ['alice@example.com']);
    assert.deepEqual(after.occurrences.map((o: any) => o.dialOut), [null, ['bob@example.com', 'carol@example.com']]);
    await form.getByLabel('Dial out to (SIP URIs, comma-separated)').fill('not a uri');
    await form.getByRole('button', { name: 'Save for this meeting' }).click();
    await form.getByRole('alert').waitFor();
    await page.goto(meetingUrl);
  });

  test('M8: one meeting of a series is moved, another cancelled, from the console; the series keeps the rest', async () => {
    const start = new Date(meetingStart.getTime() + 3 * 86_400_000);
    const series = await t.api('POST', '/api/v1/meetings/bookings', { title: 'Weekly sync', start: start.toISOString(), durationMinutes: 30, timeZone: 'Europe/Amsterdam', recurrence: 'FREQ=DAILY;COUNT=3', bridgeId });
    assert.equal(series.status, 201, JSON.stringify(series.body));
    const occs = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body.occurrences;
    const wall = (iso: string, plusMinutes = 0) =>
      new Date(Date.parse(iso) + plusMinutes * 60_000).toLocaleString('sv-SE', { timeZone: 'Europe/Amsterdam' }).slice(0, 16).replace(' ', 'T');

    // Later tests continue on the started meeting's page, whatever happens here.
    try {
      await page.goto(`${t.url}/meetings/meetings/${occs[1].id}`);
      const form = page.getByRole('form', { name: 'Move or cancel this meeting' });
      await form.getByText('Times are in Europe/Amsterdam.').waitFor();
      assert.equal(await form.getByLabel('New start').inputValue(), wall(occs[1].startAt));
      // The end before the start: refused, nothing changes.
      await form.getByLabel('New end').fill(wall(occs[1].startAt, -30));
      await form.getByRole('button', { name: 'Move this meeting' }).click();
      await form.getByRole('alert').getByText('The meeting must end after it starts.').waitFor();
      await form.getByLabel('New start').fill(wall(occs[1].startAt, 120));
      await form.getByLabel('New end').fill(wall(occs[1].startAt, 165));
      await form.getByRole('button', { name: 'Move this meeting' }).click();
      // Answered only once the server has moved it.
      await form.getByRole('status').getByText(/^Moved: this meeting now starts/).waitFor();
      await waitForValue(form.getByLabel('New start'), wall(occs[1].startAt, 120));

      await page.goto(`${t.url}/meetings/meetings/${occs[2].id}`);
      await page.getByRole('button', { name: 'Cancel this meeting…' }).click();
      await page.getByRole('button', { name: 'Yes, cancel this meeting' }).click();
      await page.getByText(/^cancelled ·/).waitFor();

      const after = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body.occurrences;
      assert.deepEqual(after.map((o: any) => o.state), ['scheduled', 'scheduled', 'cancelled']);
      assert.equal(after[0].startAt, occs[0].startAt);
      assert.equal(Date.parse(after[1].startAt) - Date.parse(occs[1].startAt), 120 * 60_000);
      assert.equal(Date.parse(after[1].endAt) - Date.parse(after[1].startAt), 45 * 60_000);
    } finally {
      await page.goto(meetingUrl);
    }
  });

  test('M10: mute a leg, show a banner, add a participant, drop a leg', async () => {
    const meeting = (await t.api('GET', `/api/v1/meetings/meetings/${meetingUrl.split('/').at(-1)}`)).body;
    const alice = meeting.legs.find((l: any) => l.remoteParty === 'alice@example.com');
    const aliceRow = page.getByRole('row', { name: /alice@example\.com/ });

    await aliceRow.getByRole('button', { name: 'Mute', exact: true }).click();
    await page.getByRole('status').getByText('Muted alice@example.com.').waitFor();
    assert.match(await bridgeLeg(alice.callLegId), /<rxAudioMute>true<\/rxAudioMute>/);

    await page.getByLabel('Message').fill('Starting in two minutes');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.getByRole('status').getByText('Message shown: "Starting in two minutes".').waitFor();
    const call = await (await fetch(`${cms.nodes[0].baseUrl}/api/v1/calls/${meeting.callId}`, { headers: auth })).text();
    assert.match(call, /<messageText>Starting in two minutes<\/messageText>/);

    await page.getByLabel('Dial out to').fill('carol@example.com');
    await page.getByRole('button', { name: 'Add participant' }).click();
    await until('carol connected', visible(page.getByRole('row', { name: /carol@example\.com/ }).getByRole('cell', { name: 'connected', exact: true })));

    await aliceRow.getByRole('button', { name: 'Drop' }).click();
    await until('alice dropped', visible(aliceRow.getByRole('cell', { name: 'dropped', exact: true })));
    await page.getByRole('listitem').filter({ hasText: /callLegEnd alice@example\.com/ }).waitFor();
    assert.equal(await aliceRow.getByRole('button', { name: 'Mute', exact: true }).count(), 0, 'a dropped leg has no controls');
    await page.screenshot({ path: '/tmp/meetings-console-meeting.png', fullPage: true });
    const live = (await t.api('GET', `/api/v1/meetings/meetings/${meeting.id}?live=true`)).body.liveLegs;
    assert.deepEqual(live.map((l: any) => l.remoteParty).sort(), ['carol@example.com']);
  });

  test('M12: end the meeting from the console; its slot is free again', async () => {
    await page.getByRole('button', { name: 'End now' }).click();
    await until('ended', visible(page.getByText(/^ended ·/) as never));
    assert.equal(await page.getByRole('button', { name: 'Add participant' }).count(), 0, 'no live controls once ended');
    const pool = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`)).body.items;
    assert.ok(pool.every((s: any) => s.occurrenceId === null));
    await page.getByRole('navigation', { name: 'Meetings' }).getByRole('link', { name: 'Ongoing' }).click();
    await page.getByRole('columnheader', { name: 'Meeting' }).waitFor();
    await page.getByRole('link', { name: 'Console review' }).waitFor({ state: 'detached' });
  });
});
