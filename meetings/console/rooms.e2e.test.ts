import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser } from '../../test/support/browser.ts';
import { advanceClockUntil } from '../../test/support/wait-for.ts';
import { ManualClock } from '../../platform/clock.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { getLab, labArea } from '../../lab/lab.area.ts';
import { createMeetingsArea } from '../meetings.area.ts';

// #17 in the console, against the Lab: a Lab codec is a room on the Rooms page; a meeting is booked
// with it (OBTP) from the booking form, its free/busy shown there; an administrator turns One Button
// to Push on (after Cisco's terms); the codec's panel on the Lab page shows the meeting; Join, once
// the meeting runs, puts the room in it, as the meeting page shows.
const skip = process.env.DATABASE_URL ? 'browser tests run once, on the embedded database (DATABASE_URL is set)' : false;

describe('Rooms in the console', { skip }, () => {
  // The clock starts at the real time: the browser judges the session cookie's expiry by it.
  const clock = new ManualClock(new Date());
  const meetingStart = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;

  /** Moves the server's clock in small steps (the scheduler and jobs run on it) until `probe` holds. */
  const until = (what: string, probe: () => Promise<boolean>, stepMs = 200, timeoutMs = 90_000) => advanceClockUntil(clock, what, probe, { stepMs, timeoutMs });
  const visible = (locator: { count(): Promise<number> }) => async () => (await locator.count()) > 0;
  async function pickDay(date: Date) {
    const name = `${date.getUTCDate()} ${date.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' })} ${date.getUTCFullYear()}`;
    const day = page.getByRole('button', { name, exact: true }).first();
    await page.locator('[data-direction="next"]').first().waitFor();
    if ((await day.count()) === 0) await page.locator('[data-direction="next"]').first().click();
    await day.click();
  }
  const nav = (name: string) => page.getByRole('navigation', { name: 'Meetings' }).getByRole('link', { name, exact: true });

  before(async () => {
    t = await startTestSwitchboard({
      clock,
      areas: [labArea, createMeetingsArea({ tickMs: 1000, statusIntervalMs: 600_000, backoffMs: 200, reconcileIntervalMs: 1e12, obtpTickMs: 1000, endpointPollMs: 1e12 })],
      config: { lab: 'true', jobPollSeconds: 0.5 } as never,
    });
    // The Lab's CMS clusters are bridges and its codecs rooms once their pools are synced.
    await until('the Lab bridges are ready', async () => {
      const bridges = (await t.api('GET', '/api/v1/meetings/bridges?limit=50')).body.items as any[];
      return bridges.length > 0 && bridges.every((b) => b.poolState === 'ready');
    }, 500);
    for (const { cluster } of getLab(t.sb.services)!.cmsClusters) {
      if (cluster.store.collections.inboundDialPlanRules.size === 0) cluster.store.create('inboundDialPlanRules', new Map([['domain', 'lab.local']]));
    }
    ({ browser, page } = await signedInBrowser(t, { width: 1400, height: 1000 }));
    page.setDefaultTimeout(90_000);
    await page.getByRole('link', { name: 'Meetings' }).click();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('a Lab codec booked as a room (OBTP) shows the meeting on its panel; Join puts the room in the running meeting', async () => {
    await nav('Rooms').click();
    await page.getByRole('cell', { name: 'Lab room-boardroom', exact: true }).waitFor();

    await nav('Book a meeting').click();
    const form = page.getByRole('form', { name: 'Book a meeting' });
    await form.getByLabel('Title').fill('Board review');
    const zone = form.getByLabel('Time zone', { exact: true });
    await zone.click();
    await zone.fill('UTC');
    await page.getByRole('option', { name: 'UTC', exact: true }).click();
    await form.getByRole('button', { name: 'Date' }).click();
    await pickDay(meetingStart);
    await form.getByLabel('Start time').fill(meetingStart.toISOString().slice(11, 16));
    await form.getByLabel('Duration (minutes)').fill('60');
    await form.getByLabel('Early join (minutes)').fill('0');
    await form.getByLabel('Rooms', { exact: true }).click();
    await page.getByRole('option', { name: 'Lab room-boardroom', exact: true }).click();
    await page.keyboard.press('Escape');
    assert.equal(await form.getByLabel('How Lab room-boardroom joins').inputValue(), 'obtp', 'One Button to Push by default');
    await form.getByRole('list', { name: 'Rooms free/busy' }).getByText('Lab room-boardroom is free then.').waitFor();
    await form.getByRole('button', { name: 'Book', exact: true }).click();
    await form.getByRole('status').getByText('Booked "Board review" — 1 meeting(s)').waitFor();
    const booking = (await t.api('GET', '/api/v1/meetings/bookings?limit=5')).body.items.find((b: any) => b.title === 'Board review');
    const rooms = (await t.api('GET', `/api/v1/meetings/bookings/${booking.id}/rooms`)).body;
    assert.deepEqual(rooms.items.map((r: any) => [r.name, r.connectMode]), [['Lab room-boardroom', 'obtp']]);

    // A second meeting then, in the same room: the form says it is busy before booking.
    await form.getByLabel('Title').fill('Clash');
    await form.getByRole('list', { name: 'Rooms free/busy' }).getByText(/Lab room-boardroom is busy then: "Board review"/).waitFor();

    // The calendar names the meeting's rooms; a room's calendar holds it and links the room's feed.
    const weekOf = (d: Date) => { const w = new Date(d); w.setHours(0, 0, 0, 0); w.setDate(w.getDate() - ((w.getDay() + 6) % 7)); return w.getTime(); };
    await nav('Calendar').click();
    if (weekOf(meetingStart) !== weekOf(new Date())) await page.getByRole('button', { name: 'Next week →' }).click();
    const entry = page.getByRole('link', { name: /Board review/ });
    await entry.waitFor();
    await page.getByText('Rooms: Lab room-boardroom').waitFor();
    await page.getByLabel('Room', { exact: true }).selectOption({ label: 'Lab room-boardroom' });
    const feed = page.getByRole('link', { name: 'iCalendar feed of Lab room-boardroom' });
    const ical = await page.request.get(new URL((await feed.getAttribute('href'))!, page.url()).toString());
    assert.equal(ical.status(), 200);
    assert.match(await ical.text(), /SUMMARY:Board review/);
    await entry.waitFor();

    // OBTP is off until an administrator turns it on, after Cisco's terms.
    await nav('Rooms').click();
    await page.getByRole('switch', { name: /Push bookings to room panels/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('One Button to Push is on').first().waitFor();

    await page.goto(new URL('/lab?tab=ce', page.url()).toString());
    const codec = page.getByRole('region', { name: 'Codec room-boardroom' });
    const panel = codec.getByRole('table', { name: 'Touch panel of room-boardroom' });
    await until('the meeting is on the codec\'s panel', visible(panel.getByRole('cell', { name: /Board review/ })), 500);
    await codec.getByText(/Last push: 1 booking\(s\) by bookingsputxml/).waitFor();

    clock.set(meetingStart);
    await until('the meeting is running', async () => {
      const meetings = (await t.api('GET', `/api/v1/meetings/meetings?from=${encodeURIComponent(new Date(meetingStart.getTime() - 60_000).toISOString())}&limit=10`)).body.items as any[];
      return meetings.some((m) => m.title === 'Board review' && m.state === 'ongoing');
    });
    // The panel gets the number to dial once the meeting has its space (the next push after the start).
    const join = panel.getByRole('button', { name: 'Join Board review on room-boardroom' });
    await until('the panel offers Join', visible(join), 500);
    await join.click();
    await codec.getByText(/In a call: /).waitFor();

    const meeting = (await t.api('GET', `/api/v1/meetings/meetings?from=${encodeURIComponent(new Date(meetingStart.getTime() - 60_000).toISOString())}&limit=10`)).body.items.find((m: any) => m.title === 'Board review');
    await page.goto(new URL(`/meetings/${meeting.id}`, page.url()).toString());
    const roomsSection = page.getByRole('region', { name: 'Rooms' });
    await roomsSection.getByRole('row', { name: /Lab room-boardroom\s*One Button to Push\s*joined/ }).waitFor();
    await page.getByRole('region', { name: 'Participants' }).getByText('room-boardroom@lab.local').first().waitFor();
  });
});
