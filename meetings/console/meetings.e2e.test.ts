import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser } from '../../test/support/browser.ts';
import { advanceClockUntil } from '../../test/support/wait-for.ts';
import { ManualClock } from '../../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { createMeetingsArea } from '../meetings.area.ts';

// The Meetings console as a newcomer uses it, against the Lab's CMS simulator: add a bridge (its
// ticket counted on the list, acknowledged), set its pool, book a meeting with the date and time
// pickers (a bad duration and repeat rule refused in words, under their fields, once), watch it
// start, see the participant's state change as it is muted from the page (and on the bridge), lock
// and unlock it, end it through the confirm dialog (M1–M14).
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
  const until = (what: string, probe: () => Promise<boolean>, stepMs = 200, timeoutMs = 45_000) => advanceClockUntil(clock, what, probe, { stepMs, timeoutMs });
  const visible = (locator: ReturnType<Page['getByRole']>) => async () => (await locator.count()) > 0;
  /** Waits until an input shows `value` (the page reloads it from the server after a change). */
  async function waitForValue(input: ReturnType<Page['getByLabel']>, value: string) {
    const deadline = Date.now() + 15_000;
    while ((await input.inputValue()) !== value) {
      if (Date.now() > deadline) throw new Error(`the input still shows ${await input.inputValue()}, not ${value}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** The day button of the date picker that is open, for `date` (a UTC day). */
  async function pickDay(date: Date) {
    const name = `${date.getUTCDate()} ${date.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' })} ${date.getUTCFullYear()}`;
    const day = page.getByRole('button', { name, exact: true }).first();
    // The calendar opens at the month of today's date; the meeting may be early next month.
    await page.locator('[data-direction="next"]').first().waitFor();
    if ((await day.count()) === 0) await page.locator('[data-direction="next"]').first().click();
    await day.click();
  }
  const summary = () => page.getByRole('group', { name: 'Meeting summary' });
  const auth = { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` };
  /** What the simulated bridge itself says about a call leg, and about a call. */
  const bridgeLeg = async (callLegId: string) => (await fetch(`${cms.nodes[0].baseUrl}/api/v1/callLegs/${callLegId}`, { headers: auth })).text();
  const bridgeCall = async (callId: string) => (await fetch(`${cms.nodes[0].baseUrl}/api/v1/calls/${callId}`, { headers: auth })).text();
  const nav = (name: string) => page.getByRole('navigation', { name: 'Meetings' }).getByRole('link', { name, exact: true });

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
    // Each step waits for what the page shows next; on a loaded machine a live read (the call and
    // each leg from the bridge) behind a click can take longer than Playwright's default 30 s.
    page.setDefaultTimeout(90_000);
    await page.getByRole('link', { name: 'Meetings' }).click();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await cms?.stop();
    await spare?.stop();
  });

  test('M1/M2/M4/M7: add the simulator as a bridge, see its ticket counted and acknowledge it, name it, give it a pool', async () => {
    await page.getByRole('heading', { level: 1, name: 'Meetings', exact: true }).waitFor();
    await nav('Bridges').click();
    const form = page.getByRole('form', { name: 'Add bridge' });
    await form.getByLabel('Addresses').fill(cms.nodes[0].baseUrl);
    await form.getByLabel('Username').fill('admin');
    await form.getByLabel('Password', { exact: true }).fill('admin');
    await form.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('table', { name: 'Added systems' }).getByRole('cell', { name: 'System added despite warnings', exact: true }).waitFor();
    // M2: the blank system name is a ticket, counted on the bridge list with the others it has.
    const row = page.getByRole('row', { name: new RegExp(`No Name \\(${cms.nodes[0].baseUrl.replaceAll('.', '\\.')}\\)`) });
    const openBadge = row.getByText(/^\d+ open$/);
    await openBadge.waitFor();
    const open = parseInt(await openBadge.innerText(), 10);
    await row.getByRole('link').click();
    bridgeId = page.url().split('/').at(-1)!;
    assert.match(new URL(page.url()).pathname, /^\/meetings\/bridges\/[0-9a-f-]{36}$/);
    const ticketRow = page.getByRole('row', { name: /Blank System Name/ });
    await ticketRow.getByRole('button', { name: /^Acknowledge ticket/ }).click();
    await ticketRow.getByText('acknowledged', { exact: true }).waitFor();
    await nav('Bridges').click();
    await row.getByText('1 acknowledged', { exact: true }).waitFor();
    if (open > 1) await row.getByText(`${open - 1} open`, { exact: true }).waitFor();
    else assert.equal(await openBadge.count(), 0);
    await row.getByRole('link').click();
    await page.getByRole('table', { name: 'Nodes' }).getByRole('cell', { name: 'console-1', exact: true }).waitFor();

    const settings = page.getByRole('form', { name: 'Settings' });
    await settings.getByLabel('Name').fill('Console CMS');
    await settings.getByLabel('Domain').fill('lab.local');
    await settings.getByLabel('Numeric ID base').fill('7000');
    await settings.getByLabel('Numeric ID quantity').fill('2');
    await settings.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Pool sync started').first().waitFor();
    await until('pool ready', visible(page.getByText('pool 2 (ready)') as never));
    await page.getByRole('heading', { level: 1, name: 'Console CMS' }).waitFor();
    await page.getByText('System has no open or acknowledged tickets').waitFor();
    await page.getByRole('table', { name: 'Pool slots' }).getByRole('cell', { name: '2', exact: true }).waitFor();

    // #18: the bridge's concurrent-request limit, set and given back to the configured default.
    await settings.getByLabel('API requests at once per node').fill('6');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByText(/API requests at once per node 6\./).waitFor();
    assert.equal((await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}`)).body.maxConcurrentRequests, 6);
    await settings.getByLabel('API requests at once per node').fill('default');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByText(/API requests at once per node default\./).waitFor();
    assert.equal((await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}`)).body.maxConcurrentRequests, null);

    // M4/M5: how a node is reached, entered and taken back in the Clustering table.
    const port = cms.nodes[0].port;
    const nodeForm = page.getByRole('form', { name: 'Address of console-1' });
    await nodeForm.getByLabel('New address of console-1').fill(`localhost:${port}`);
    await nodeForm.getByRole('button', { name: 'Set' }).click();
    await page.getByRole('cell', { name: `http://localhost:${port} (entered)`, exact: true }).waitFor();
    await nodeForm.getByRole('button', { name: 'Use advertised' }).click();
    // The advertised address is always in its own column: wait for the entered one to go instead.
    await page.getByRole('cell', { name: `http://localhost:${port} (entered)`, exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: cms.nodes[0].baseUrl, exact: true }).first().waitFor();
    const nodes = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/nodes`)).body.items;
    assert.equal(nodes[0].addressOverride, null);
    assert.equal(nodes[0].address, cms.nodes[0].baseUrl);
  });

  test('M14: the routing preference is set and saved from the Bridges page', async () => {
    await nav('Bridges').click();
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
  test('M8/M9: book with the pickers and a dial-out (a bad duration and repeat rule refused in words, once), watch it start', async () => {
    await nav('Book a meeting').click();
    const form = page.getByRole('form', { name: 'Book a meeting' });
    await form.getByLabel('Title').fill('Console review');
    const zone = form.getByLabel('Time zone', { exact: true });
    await zone.click();
    await zone.fill('UTC');
    await page.getByRole('option', { name: 'UTC', exact: true }).click();
    await form.getByRole('button', { name: 'Date' }).click();
    await pickDay(meetingStart);
    await form.getByLabel('Start time').fill(meetingStart.toISOString().slice(11, 16));
    await form.getByLabel('Duration (minutes)').fill('0');
    await form.getByLabel('Repeats', { exact: true }).selectOption({ label: 'Custom rule (RRULE)' });
    await form.getByLabel('Repeat rule').fill('FREQ=FORTNIGHTLY');
    const dialOut = form.getByLabel('Dial out to', { exact: true });
    await dialOut.fill('alice@example.com');
    await dialOut.press('Enter');
    await form.getByLabel('Early join (minutes)').fill('0');
    await form.getByRole('button', { name: 'Book', exact: true }).click();
    // Each problem once, under its field, in words; not the validator's text.
    const duration = page.getByText('A meeting lasts at least 1 minute.', { exact: true });
    const rule = page.getByText('"FORTNIGHTLY" is not a frequency: use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY.', { exact: true });
    await duration.waitFor();
    await rule.waitFor();
    assert.equal(await duration.count(), 1);
    assert.equal(await rule.count(), 1);
    assert.equal(await page.getByText(/Invalid body|undefined undefined|expected number/).count(), 0);
    assert.equal((await t.api('GET', '/api/v1/meetings/bookings?limit=5')).body.total, 0, 'nothing booked');

    await form.getByLabel('Duration (minutes)').fill('60');
    await form.getByLabel('Repeats', { exact: true }).selectOption({ label: 'Does not repeat' });
    await form.getByRole('button', { name: 'Book', exact: true }).click();
    await form.getByRole('status').getByText('Booked "Console review" — 1 meeting(s)').waitFor();
    const booking = (await t.api('GET', '/api/v1/meetings/bookings?limit=5')).body.items.find((b: any) => b.title === 'Console review');
    assert.equal(booking.bridgeId, bridgeId, 'routed to the first preferred bridge');
    assert.equal(booking.startAt, meetingStart.toISOString(), 'the day and time picked, in the zone chosen');
    assert.deepEqual(booking.dialOut, ['alice@example.com']);

    clock.set(meetingStart);
    await nav('Today').click();
    const running = page.getByRole('table', { name: 'Running meetings' });
    await until('the meeting is running', visible(running.getByRole('row', { name: /Console review/ }).getByText('ongoing', { exact: true }) as never));
    await running.getByRole('link', { name: 'Console review' }).click();
    meetingUrl = page.url();
    const occurrence = (await t.api('GET', `/api/v1/meetings/bookings/${booking.id}`)).body.occurrences[0];
    assert.equal(new URL(meetingUrl).pathname, `/meetings/${occurrence.id}`, 'a meeting is at /meetings/<id>');
    await until('alice connected', visible(page.getByRole('row', { name: /alice@example\.com/ }).getByText('connected', { exact: true }) as never));
  });

  test('M8: one meeting of a series gets its own dial-outs (old /meetings/meetings/<id> links still lead there)', async () => {
    const start = new Date(meetingStart.getTime() + 86_400_000);
    const series = await t.api('POST', '/api/v1/meetings/bookings', { title: 'Daily check', start: start.toISOString(), durationMinutes: 15, timeZone: 'UTC', recurrence: 'FREQ=DAILY;COUNT=2', dialOut: ['alice@example.com'], bridgeId });
    assert.equal(series.status, 201, JSON.stringify(series.body));
    const occs = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body.occurrences;
    try {
      await page.goto(`${t.url}/meetings/meetings/${occs[1].id}`);
      const form = page.getByRole('form', { name: 'Dial-outs of this meeting' });
      await form.getByText('Same as the series: alice@example.com.').waitFor();
      assert.equal(new URL(page.url()).pathname, `/meetings/${occs[1].id}`);
      const input = form.getByLabel('Dial out to', { exact: true });
      await input.click();
      await input.press('Backspace');
      for (const uri of ['bob@example.com', 'carol@example.com']) {
        await input.fill(uri);
        await input.press('Enter');
      }
      await form.getByRole('button', { name: 'Save for this meeting' }).click();
      await form.getByRole('status').getByText('Saved: this meeting dials bob@example.com, carol@example.com.').waitFor();
      await form.getByText('This meeting has its own list; the rest of the series dials: alice@example.com.').waitFor();
      const after = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body;
      assert.deepEqual(after.dialOut, ['alice@example.com']);
      assert.deepEqual(after.occurrences.map((o: any) => o.dialOut), [null, ['bob@example.com', 'carol@example.com']]);
      await input.fill('not-a-uri');
      await input.press('Enter');
      await form.getByRole('button', { name: 'Save for this meeting' }).click();
      await form.getByText('a SIP URI such as alice@example.com.', { exact: true }).waitFor();
    } finally {
      await page.goto(meetingUrl);
    }
  });

  test('M8: one meeting of a series is moved, another cancelled (after a confirm), from the console; the series keeps the rest', async () => {
    const start = new Date(meetingStart.getTime() + 3 * 86_400_000);
    const series = await t.api('POST', '/api/v1/meetings/bookings', { title: 'Weekly sync', start: start.toISOString(), durationMinutes: 30, timeZone: 'Europe/Amsterdam', recurrence: 'FREQ=DAILY;COUNT=3', bridgeId });
    assert.equal(series.status, 201, JSON.stringify(series.body));
    const occs = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body.occurrences;
    const wall = (iso: string, plusMinutes = 0) =>
      new Date(Date.parse(iso) + plusMinutes * 60_000).toLocaleString('sv-SE', { timeZone: 'Europe/Amsterdam' }).slice(0, 16).replace(' ', 'T');

    // Later tests continue on the started meeting's page, whatever happens here.
    try {
      await page.goto(`${t.url}/meetings/${occs[1].id}`);
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

      await page.goto(`${t.url}/meetings/${occs[2].id}`);
      await page.getByRole('button', { name: 'Cancel this meeting…' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel this meeting' }).click();
      await summary().getByText('cancelled', { exact: true }).waitFor();

      const after = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body.occurrences;
      assert.deepEqual(after.map((o: any) => o.state), ['scheduled', 'scheduled', 'cancelled']);
      assert.equal(after[0].startAt, occs[0].startAt);
      assert.equal(Date.parse(after[1].startAt) - Date.parse(occs[1].startAt), 120 * 60_000);
      assert.equal(Date.parse(after[1].endAt) - Date.parse(after[1].startAt), 45 * 60_000);
    } finally {
      await page.goto(meetingUrl);
    }
  });

  test('M10: the participant\'s state changes as it is muted from the page (and on the bridge); lock and unlock; banner; add and drop', async () => {
    const meeting = (await t.api('GET', `/api/v1/meetings/meetings/${meetingUrl.split('/').at(-1)}`)).body;
    const alice = meeting.legs.find((l: any) => l.remoteParty === 'alice@example.com');
    const aliceRow = page.getByRole('row', { name: /alice@example\.com/ });
    await aliceRow.getByText('Audio on', { exact: true }).waitFor();
    await aliceRow.getByText('Video on', { exact: true }).waitFor();

    await aliceRow.getByRole('button', { name: 'Mute', exact: true }).click();
    await aliceRow.getByText('Audio muted', { exact: true }).waitFor();
    assert.match(await bridgeLeg(alice.callLegId), /<rxAudioMute>true<\/rxAudioMute>/);
    await aliceRow.getByRole('button', { name: 'Stop video' }).click();
    await aliceRow.getByText('Video muted', { exact: true }).waitFor();
    assert.match(await bridgeLeg(alice.callLegId), /<rxVideoMute>true<\/rxVideoMute>/);
    await aliceRow.getByRole('button', { name: 'Unmute' }).click();
    await aliceRow.getByText('Audio on', { exact: true }).waitFor();
    assert.match(await bridgeLeg(alice.callLegId), /<rxAudioMute>false<\/rxAudioMute>/);

    await summary().getByText('Unlocked', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await summary().getByText('Locked', { exact: true }).waitFor();
    assert.match(await bridgeCall(meeting.callId), /<locked>true<\/locked>/);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await summary().getByText('Unlocked', { exact: true }).waitFor();
    assert.match(await bridgeCall(meeting.callId), /<locked>false<\/locked>/);

    await page.getByLabel('Message', { exact: true }).fill('Starting in two minutes');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.getByText('Showing: "Starting in two minutes"').waitFor();
    assert.match(await bridgeCall(meeting.callId), /<messageText>Starting in two minutes<\/messageText>/);

    await page.getByLabel('Dial out to', { exact: true }).fill('carol@example.com');
    await page.getByRole('button', { name: 'Add participant' }).click();
    await until('carol connected', visible(page.getByRole('row', { name: /carol@example\.com/ }).getByText('connected', { exact: true }) as never));

    await aliceRow.getByRole('button', { name: 'Drop' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Drop' }).click();
    await until('alice dropped', visible(aliceRow.getByText('dropped', { exact: true }) as never));
    await page.getByText(/callLegEnd alice@example\.com/).waitFor();
    assert.equal(await aliceRow.getByRole('button', { name: 'Mute', exact: true }).count(), 0, 'a dropped leg has no controls');
    await page.screenshot({ path: '/tmp/meetings-console-meeting.png', fullPage: true });
    const live = (await t.api('GET', `/api/v1/meetings/meetings/${meeting.id}?live=true`)).body.liveLegs;
    assert.deepEqual(live.map((l: any) => l.remoteParty).sort(), ['carol@example.com']);
  });

  test('M12: End asks first — cancelled, the meeting runs on; confirmed, it ends and its slot is free again', async () => {
    const id = meetingUrl.split('/').at(-1);
    await page.getByRole('button', { name: 'End now…' }).click();
    const dialog = page.getByRole('dialog', { name: 'End this meeting now?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    clock.advance(2000);
    await summary().getByText('ongoing', { exact: true }).waitFor();
    assert.equal((await t.api('GET', `/api/v1/meetings/meetings/${id}`)).body.state, 'ongoing');

    await page.getByRole('button', { name: 'End now…' }).click();
    await dialog.getByRole('button', { name: 'End meeting' }).click();
    await until('ended', visible(summary().getByText('ended', { exact: true }) as never));
    assert.equal(await page.getByRole('button', { name: 'Add participant' }).count(), 0, 'no live controls once ended');
    const pool = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`)).body.items;
    assert.ok(pool.every((s: any) => s.occurrenceId === null));
    await nav('Today').click();
    await page.getByText('No meeting is running').waitFor();
    await page.screenshot({ path: '/tmp/meetings-console-today.png', fullPage: true });
  });
});
