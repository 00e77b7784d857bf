import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../platform/clock.ts';
import { createCeCodec, takesBookingsPut, type CeCodec } from './ce.simulator.ts';

// The CE codec on the wire (lab/README.md §Room codecs): auth, getxml branches, putxml commands,
// both booking pushes, Bookings Put by software, Join inside the booking's window, faults.
describe('CE codec simulator', () => {
  const clock = new ManualClock('2026-12-08T08:00:00Z');
  let onPrem: CeCodec;
  let old: CeCodec;
  const dialled: string[] = [];
  before(async () => {
    onPrem = createCeCodec({ name: 'room', clock, password: 'pw', version: 'ce10.19.4.2.abc', dial: (n) => (dialled.push(n), { connected: true }) });
    old = createCeCodec({ name: 'old', clock, password: 'pw', version: 'ce9.10.1.1.abc' });
    await onPrem.start();
    await old.start();
  });
  after(async () => {
    await onPrem.stop();
    await old.stop();
  });
  const auth = { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` };
  const putxml = (c: CeCodec, body: string) => fetch(`${c.url}/putxml`, { method: 'POST', headers: { ...auth, 'content-type': 'text/xml' }, body }).then((r) => r.text());

  test('401 with the codec\'s challenge without credentials; getxml answers only the branch asked for', async () => {
    const anonymous = await fetch(`${onPrem.url}/getxml?location=/Status/SystemUnit`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Basic realm="CISCO-Endpoint"');
    const res = await fetch(`${onPrem.url}/getxml?location=/Status/SystemUnit/Software`, { headers: auth });
    const text = await res.text();
    assert.match(res.headers.get('content-type') ?? '', /text\/xml/);
    assert.match(text, /^<\?xml version="1.0"\?><Status product="Cisco Codec" version="ce10.19.4.2.abc" apiVersion="4"><SystemUnit><Software><Version>ce10.19.4.2.abc<\/Version>/);
    assert.doesNotMatch(text, /ProductId/);
    assert.match(await (await fetch(`${onPrem.url}/getxml?location=/Status/Nothing`, { headers: auth })).text(), /XPathError/);
  });

  test('bookingsputxml replaces the list; Bookings List reads it back; an unknown command is an ActionError', async () => {
    const doc = (id: string, title: string) => `<Booking item="1"><Id item="1">${id}</Id><Title item="1">${title}</Title><Organizer item="1"><FirstName item="1">Ada</FirstName></Organizer><Time item="1"><StartTime item="1">2026-12-08T09:00:00Z</StartTime><StartTimeBuffer item="1">300</StartTimeBuffer><EndTime item="1">2026-12-08T09:30:00Z</EndTime><EndTimeBuffer item="1">0</EndTimeBuffer></Time><DialInfo item="1"><Calls item="1"><Call item="1"><Number item="1">4711@cms.example.com</Number><Protocol item="1">SIP</Protocol></Call></Calls><ConnectMode item="1">OBTP</ConnectMode></DialInfo></Booking>`;
    const push = (body: string) => fetch(`${onPrem.url}/bookingsputxml`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body });
    assert.equal((await push(`<?xml version='1.0'?><Bookings item="1" status="OK">${doc('a', 'First')}${doc('b', 'Second')}</Bookings>`)).status, 200);
    assert.deepEqual(onPrem.bookings().map((b) => b.id), ['a', 'b']);
    assert.equal((await push(`<?xml version='1.0'?><Bookings item="1" status="OK">${doc('b', 'Second')}</Bookings>`)).status, 200);
    assert.deepEqual(onPrem.bookings().map((b) => b.id), ['b'], 'the whole list is replaced');
    assert.equal((await push('<NotBookings/>')).status, 400);
    const list = await putxml(onPrem, '<Command><Bookings><List command="True"><DayOffset>0</DayOffset></List></Bookings></Command>');
    assert.match(list, /<BookingsListResult status="OK"><ResultInfo><TotalRows>1<\/TotalRows><\/ResultInfo>/);
    assert.match(list, /<Number>4711@cms.example.com<\/Number>/);
    assert.match(await putxml(onPrem, '<Command><Nothing command="True"/></Command>'), /<ActionError><Reason>No action detected in document<\/Reason><\/ActionError>/);
  });

  test('Bookings Put by software: RoomOS 10 unregistered refuses it, CE 9.10 has no such command; RoomOS 11.14 takes it', async () => {
    const body = `<Command><Bookings><Put command="True"><body>${JSON.stringify({ Bookings: [{ Id: 'x', Title: 'T', Number: 'a@b', Protocol: 'SIP', Organizer: { Name: 'Ada' }, Time: { StartTime: '2026-12-08T10:00:00Z', Duration: 30 } }] }).replace(/&/g, '&amp;').replace(/</g, '&lt;')}</body></Put></Bookings></Command>`;
    assert.match(await putxml(onPrem, body), /<BookingsPutResult status="Error"><Reason>Command not available/);
    assert.match(await putxml(old, body), /ActionError/);
    assert.equal(takesBookingsPut('ce11.14.2.3', false), true);
    assert.equal(takesBookingsPut('ce9.15.3.17', true), true);
    assert.equal(takesBookingsPut('ce9.13.0.1', true), false);
  });

  test('Join dials the number only inside the booking\'s window; Dial over putxml; faults', async () => {
    assert.deepEqual(await onPrem.join('b'), { joined: false, reason: 'notYet' });
    clock.set('2026-12-08T08:55:00Z');
    const joined = await onPrem.join('b');
    assert.equal(joined.joined, true);
    assert.deepEqual(dialled, ['4711@cms.example.com']);
    assert.match(await (await fetch(`${onPrem.url}/getxml?location=/Status/Call`, { headers: auth })).text(), /<RemoteNumber>4711@cms.example.com<\/RemoteNumber>/);
    assert.match(await putxml(onPrem, '<Command><Dial command="True"><Number>x@y</Number></Dial></Command>'), /<DialResult status="OK"><CallId>2<\/CallId>/);
    clock.set('2026-12-08T09:31:00Z');
    assert.deepEqual(await onPrem.join('b'), { joined: false, reason: 'over' });
    await onPrem.setFaults({ failNext: [{ path: '/bookingsputxml', count: 1, status: 503 }] });
    assert.equal((await fetch(`${onPrem.url}/bookingsputxml`, { method: 'POST', headers: auth, body: '<Bookings/>' })).status, 503);
    await onPrem.setFaults({ down: true });
    await assert.rejects(fetch(`${onPrem.url}/getxml?location=/Status`, { headers: auth }));
    await onPrem.setFaults({ down: undefined });
    assert.equal((await fetch(`${onPrem.url}/getxml?location=/Status/SystemUnit`, { headers: auth })).status, 200);
  });
});
