// Live behaviour: calls, the dial-out state machine and its outcomes, participant limits, the dial-in
// hook, status counters, and CDR delivery with retry.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { ManualClock } from '../../platform/clock.ts';
import { createCmsCluster, type CreateCmsClusterOptions } from './cms.cluster.ts';
import { cmsClient, eventually, idOf } from './cms.testkit.ts';

async function lab(t: TestContext, options: Partial<CreateCmsClusterOptions> = {}) {
  const clock = new ManualClock('2026-03-01T09:00:00Z');
  const cluster = await createCmsCluster({ nodes: [{ name: 'cb1' }, { name: 'cb2' }], clock, ...options });
  await cluster.start();
  t.after(() => cluster.stop());
  const api = cmsClient(cluster.nodes[0].baseUrl);
  await api('POST', '/api/v1/outboundDialPlanRules', { domain: 'example.com', priority: '10' });
  await api('POST', '/api/v1/outboundDialPlanRules', { domain: '*.example.com', priority: '5' });
  await api('POST', '/api/v1/inboundDialPlanRules', { domain: 'meet.example.com' });
  return { cluster, clock, api, api2: cmsClient(cluster.nodes[1].baseUrl) };
}

const state = async (api: ReturnType<typeof cmsClient>, leg: string) => {
  const response = await api('GET', `/api/v1/callLegs/${leg}`);
  return response.status === 404 ? 'gone' : /<state>([^<]+)</.exec(response.body)![1];
};

test('dial-out: initial → ringing → connected, counters move, DELETE call ends legs', async (t) => {
  const { api, clock } = await lab(t);
  const space = idOf((await api('POST', '/api/v1/coSpaces', { name: 'Board', uri: 'board' })).location);
  const call = idOf((await api('POST', '/api/v1/calls', { coSpace: space })).location);
  const callDetail = await api('GET', `/api/v1/calls/${call}`);
  assert.match(callDetail.body, /<name>Board<\/name><callType>coSpace<\/callType><coSpace>/);
  const post = await api('POST', `/api/v1/calls/${call}/callLegs`, { remoteParty: 'alice@example.com', ownerId: 'booking-1', chosenLayout: 'speakerOnly' });
  assert.match(post.location ?? '', /^\/api\/v1\/callLegs\/[0-9a-f-]{36}$/);
  const leg = idOf(post.location);
  assert.equal(await state(api, leg), 'initial');
  clock.advance(200);
  assert.equal(await state(api, leg), 'ringing');
  clock.advance(1500);
  assert.equal(await state(api, leg), 'connected');
  const detail = (await api('GET', `/api/v1/callLegs/${leg}`)).body;
  assert.match(detail, /<configuration><ownerId>booking-1<\/ownerId><chosenLayout>speakerOnly<\/chosenLayout><\/configuration><status><state>connected<\/state>/);
  assert.match(detail, /<rxVideo role="main"><codec>h264<\/codec>/);
  const status = (await api('GET', '/api/v1/system/status')).body;
  assert.match(status, /<callLegsActive>1<\/callLegsActive><callLegsMaxActive>1<\/callLegsMaxActive><callLegsCompleted>0<\/callLegsCompleted><audioBitRateOutgoing>64000</);
  assert.equal((await api('PUT', `/api/v1/callLegs/${leg}`, { rxAudioMute: 'true', chosenLayout: 'allEqual' })).status, 200);
  assert.match((await api('GET', `/api/v1/callLegs/${leg}`)).body, /<chosenLayout>allEqual<\/chosenLayout><rxAudioMute>true<\/rxAudioMute>/);
  assert.equal((await api('PUT', `/api/v1/calls/${call}`, { messageText: 'Ends in 5 minutes', messageDuration: '60', locked: 'true' })).status, 200);
  clock.advance(10_000);
  assert.match((await api('GET', `/api/v1/calls/${call}`)).body, /<locked>true<\/locked>.*<messageText>Ends in 5 minutes<\/messageText><messagePosition>middle<\/messagePosition><messageDuration>60<\/messageDuration><messageTimeRemaining>50<\/messageTimeRemaining>/);
  assert.equal((await api('DELETE', `/api/v1/calls/${call}`)).status, 200);
  assert.equal(await state(api, leg), 'gone');
  assert.match((await api('GET', '/api/v1/system/status')).body, /<callLegsActive>0<\/callLegsActive><callLegsMaxActive>1<\/callLegsMaxActive><callLegsCompleted>1<\/callLegsCompleted>/);
});

test('dial-out outcomes decided by the remote party and the outbound dial plan', async (t) => {
  const { api, clock, cluster } = await lab(t, { dialRules: [{ match: '*@slow.example.com', outcome: 'connect', answerAfterMs: 20_000 }] });
  const call = idOf((await api('POST', '/api/v1/calls', { name: 'ad hoc' })).location);
  const dial = async (remoteParty: string) => idOf((await api('POST', `/api/v1/calls/${call}/callLegs`, { remoteParty })).location);
  const ok = await dial('bob@example.com');
  const busy = await dial('busy@example.com');
  const noAnswer = await dial('noanswer@example.com');
  const unreachable = await dial('carol@unreachable.example.com');
  const noRoute = await dial('dave@elsewhere.org');
  const slow = await dial('eve@slow.example.com');
  clock.advance(5000);
  assert.equal(await state(api, ok), 'connected');
  assert.equal(await state(api, busy), 'gone');
  assert.equal(await state(api, noAnswer), 'ringing');
  assert.equal(await state(api, unreachable), 'gone');
  assert.equal(await state(api, noRoute), 'gone');
  assert.equal(await state(api, slow), 'ringing');
  clock.advance(30_000);
  assert.equal(await state(api, noAnswer), 'gone');
  assert.equal(await state(api, slow), 'connected');
  const reasons = cluster.cdrHistory('cb1').filter((r) => r.type === 'callLegEnd').map((r) => /<reason>([^<]+)</.exec(r.xml)![1]);
  assert.deepEqual(reasons.sort(), ['connectionFailure', 'noMatchingDialPlanRule', 'remoteBusy', 'timeout']);
  assert.equal((await api('POST', `/api/v1/calls/${call}/callLegs`, {})).body, '<?xml version="1.0"?><failureDetails><parameterError parameter="remoteParty" error="missing" /></failureDetails>');
});

test('participant limits from the call profile (space, tenant, system) and the tenant', async (t) => {
  const { api, api2, cluster } = await lab(t);
  const profile = idOf((await api('POST', '/api/v1/callProfiles', { participantLimit: '2' })).location);
  const space = idOf((await api('POST', '/api/v1/coSpaces', { name: 'Small', uri: 'small', callProfile: profile })).location);
  const call = idOf((await api('POST', '/api/v1/calls', { coSpace: space })).location);
  assert.equal((await api('POST', `/api/v1/calls/${call}/participants`, { remoteParty: 'a@example.com' })).status, 200);
  const second = await api('POST', `/api/v1/calls/${call}/callLegs`, { remoteParty: 'b@example.com' });
  assert.equal(second.status, 200);
  const third = await api('POST', `/api/v1/calls/${call}/participants`, { remoteParty: 'c@example.com' });
  assert.equal(third.status, 400);
  assert.equal(third.body, '<?xml version="1.0"?><failureDetails><participantLimitReached /></failureDetails>');
  assert.deepEqual(cluster.dialIn({ uri: 'small@meet.example.com', remoteParty: 'd@example.com' }), { admitted: false, reason: 'participantLimitReached' });
  // Participants are seen from every bridge; remote ones carry <callBridge>.
  const seen = await api2('GET', '/api/v1/participants');
  assert.match(seen.body, new RegExp(`<participants total="2"><participant id="[^"]+"><name>a@example.com</name><call>${call}</call><callBridge>${cluster.nodes[0].callBridgeId}</callBridge></participant>`));
  assert.match((await api2('GET', `/api/v1/participants?callBridgeFilter=${cluster.nodes[1].callBridgeId}`)).body, /total="0"/);
  // A tenant limit counts every participant of the tenant.
  const tenant = idOf((await api('POST', '/api/v1/tenants', { name: 'T', participantLimit: '1' })).location);
  const tenantCall = idOf((await api('POST', '/api/v1/calls', { name: 'tenant call', tenant })).location);
  assert.equal((await api('POST', `/api/v1/calls/${tenantCall}/callLegs`, { remoteParty: 'x@example.com' })).status, 200);
  assert.match((await api('POST', `/api/v1/calls/${tenantCall}/callLegs`, { remoteParty: 'y@example.com' })).body, /tenantParticipantLimitReached/);
});

test('participants: bulk PUT with filterIds/mode, PUT one, DELETE hangs up', async (t) => {
  const { api, clock } = await lab(t);
  const call = idOf((await api('POST', '/api/v1/calls', { name: 'Ops' })).location);
  const ids = [];
  for (const who of ['a', 'b', 'c']) ids.push(idOf((await api('POST', `/api/v1/calls/${call}/participants`, { remoteParty: `${who}@example.com` })).location));
  clock.advance(5000);
  assert.equal((await api('PUT', `/api/v1/calls/${call}/participants/*`, { rxAudioMute: 'true', filterIds: ids[0], mode: 'exclude' })).status, 200);
  const legs = (await api('GET', `/api/v1/calls/${call}/callLegs`)).body.match(/callLeg id="([^"]+)"/g)!.map((m) => m.slice(12, -1));
  const muted = await Promise.all(legs.map(async (leg) => /<rxAudioMute>true</.test((await api('GET', `/api/v1/callLegs/${leg}`)).body)));
  assert.deepEqual(muted, [false, true, true]);
  assert.equal((await api('PUT', `/api/v1/participants/${ids[1]}`, { importance: '5' })).status, 200);
  assert.match((await api('GET', `/api/v1/participants/${ids[1]}`)).body, /<configuration><importance>5<\/importance><\/configuration><status><state>connected<\/state><\/status>/);
  assert.equal((await api('DELETE', `/api/v1/participants/${ids[2]}`)).status, 200);
  assert.match((await api('GET', `/api/v1/calls/${call}/participants`)).body, /total="2"/);
  assert.equal((await api('GET', `/api/v1/participants/${ids[2]}`)).status, 404);
});

test('dial-in hook: inbound rule, passcode, nonMemberAccess and membership decide', async (t) => {
  const { api, cluster } = await lab(t);
  const space = idOf((await api('POST', '/api/v1/coSpaces', { name: 'Closed', uri: 'closed', callId: '4242', passcode: '99', nonMemberAccess: 'false' })).location);
  await api('POST', `/api/v1/coSpaces/${space}/coSpaceUsers`, { userJid: 'boss@example.com' });
  assert.deepEqual(cluster.dialIn({ uri: 'closed@other.example.com' }), { admitted: false, reason: 'noInboundRule' });
  assert.deepEqual(cluster.dialIn({ uri: 'nobody@meet.example.com' }), { admitted: false, reason: 'noSuchSpace' });
  assert.deepEqual(cluster.dialIn({ uri: 'closed@meet.example.com', passcode: '1' }), { admitted: false, reason: 'wrongPasscode' });
  assert.deepEqual(cluster.dialIn({ callId: '4242', passcode: '99' }), { admitted: false, reason: 'nonMemberAccessDenied' });
  const member = cluster.dialIn({ callId: '4242', passcode: '99', userJid: 'boss@example.com', node: 'cb2' });
  assert.equal(member.admitted, true);
  await api('PUT', `/api/v1/coSpaces/${space}`, { nonMemberAccess: 'true' });
  const guest = cluster.dialIn({ uri: 'closed@meet.example.com', passcode: '99', remoteParty: 'guest@example.com' });
  assert.equal(guest.admitted, true);
  // The call was instantiated on the bridge that took the call.
  if (member.admitted) assert.match((await cmsClient(cluster.nodes[1].baseUrl)('GET', '/api/v1/calls')).body, new RegExp(`<call id="${member.callId}"><name>Closed</name><coSpace>${space}</coSpace>`));
  if (guest.admitted) assert.match((await api('GET', `/api/v1/callLegs/${guest.callLegId}`)).body, /<direction>incoming<\/direction>.*<state>connected<\/state>/);
});

test('CDRs: records POSTed to each receiver in order, retried until 200, alarm while failing', async (t) => {
  const { api, clock, cluster } = await lab(t, { timing: { cdrRetryMs: 5000 } });
  const received: string[] = [];
  let failFirst = 2;
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (failFirst > 0) {
        failFirst--;
        res.writeHead(500).end();
        return;
      }
      received.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  const port = (receiver.address() as { port: number }).port;
  const post = await api('POST', '/api/v1/system/cdrReceivers', { url: `http://127.0.0.1:${port}/cdr?system=lab` });
  assert.match(post.location ?? '', /^\/api\/v1\/system\/cdrReceivers\/[0-9a-f-]{36}$/);
  assert.match((await api('GET', '/api/v1/system/cdrReceivers')).body, new RegExp(`<cdrReceivers total="1" maximum="4"><cdrReceiver id="[^"]+"><uri>http://127.0.0.1:${port}/cdr\\?system=lab</uri></cdrReceiver></cdrReceivers>`));
  for (let i = 0; i < 3; i++) await api('POST', '/api/v1/system/cdrReceivers', { url: 'http://127.0.0.1:9/none' });
  assert.match((await api('POST', '/api/v1/system/cdrReceivers', { url: 'http://127.0.0.1:9/x' })).body, /tooManyCdrReceivers/);

  const call = idOf((await api('POST', '/api/v1/calls', { name: 'CDR call' })).location);
  await api('POST', `/api/v1/calls/${call}/callLegs`, { remoteParty: 'bob@example.com' });
  clock.advance(2000);
  await api('GET', '/api/v1/system/status');
  await api('DELETE', `/api/v1/calls/${call}`);
  // First attempt fails → alarm; retries happen on the clock.
  await eventually(() => cluster.nodes[0].bridge.alarms.has('cdrConnectionFailure'));
  assert.match((await api('GET', '/api/v1/system/alarms')).body, /<alarm id="[^"]+"><type>cdrConnectionFailure<\/type><activeTimeSeconds>\d+<\/activeTimeSeconds><\/alarm>/);
  for (let i = 0; i < 4 && received.length === 0; i++) {
    clock.advance(5000);
    cluster.tick();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await eventually(() => received.join('').includes('type="callEnd"'));
  const all = received.join('');
  const types = [...all.matchAll(/<record type="(\w+)"/g)].map((m) => m[1]);
  assert.deepEqual(types, ['callStart', 'callLegStart', 'callLegUpdate', 'callLegEnd', 'callEnd']);
  const indexes = [...all.matchAll(/recordIndex="(\d+)"/g)].map((m) => Number(m[1]));
  assert.deepEqual(indexes, [1, 2, 3, 4, 5]);
  assert.match(received[0], new RegExp(`^<\\?xml version="1.0"\\?><records session="[0-9a-f-]{36}" callBridge="${cluster.nodes[0].callBridgeId}"><record type="callStart" time="2026-03-01T09:00:00Z" recordIndex="1" correlatorIndex="1"><call id="${call}"><name>CDR call</name><callType>adHoc</callType>`));
  assert.match(all, /<callEnd|<record type="callEnd"[^>]*><call id="[^"]+"><callLegsCompleted>1<\/callLegsCompleted><callLegsMaxActive>1<\/callLegsMaxActive><durationSeconds>2<\/durationSeconds>/);
  await eventually(() => !cluster.nodes[0].bridge.alarms.has('cdrConnectionFailure') || cluster.nodes[0].bridge.cdr.receivers.size > 1);
  assert.match((await api('GET', '/api/v1/system/status')).body, /<cdrCorrelatorIndex>5<\/cdrCorrelatorIndex>/);
});
