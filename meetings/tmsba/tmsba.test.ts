import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import soap from 'soap';
import { ManualClock } from '../../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../../lab/cms/cms.cluster.ts';
import { createMailCatcher } from '../../lab/mail/mail-catcher.ts';
import { createSmtpMailer } from '../../platform/mail/mailer.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { createMeetingsArea } from '../meetings.area.ts';
import { BOOKING_NS, BOOKING_PATH, REMOTE_SETUP_NS, REMOTE_SETUP_PATH } from './tmsba.routes.ts';
import { TMS_ERROR } from './tmsba.mapping.ts';

// #16 part 1: a TMSBA client built from our WSDL by the soap library runs the TMSXE-style cycle; each
// effect is checked through Switchboard's REST API and on the Lab CMS.

type SoapFault = { status: number; fault: Record<string, any> };

async function fault(promise: Promise<unknown>): Promise<SoapFault> {
  try {
    await promise;
  } catch (error) {
    const e = error as { root?: any; response?: { status: number } };
    assert.ok(e.root?.Envelope?.Body?.Fault, `expected a SOAP fault, got ${String(error)}`);
    return { status: e.response!.status, fault: e.root.Envelope.Body.Fault };
  }
  assert.fail('expected a SOAP fault');
}

describe('TMSBA-compatible booking API (#16)', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let cms: CmsCluster;
  let t: TestSwitchboard;
  const mail = createMailCatcher({ clock });
  let bridgeId: string;
  let systemId: number;
  const booker = { username: 'tmsxe-service', password: 'tmsxe-password-1' };
  const reader = { username: 'auditor', password: 'auditor-password-1' };
  let client: soap.Client;
  let session = '';

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, stepMs = 500, timeoutMs = 240_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      clock.advance(stepMs);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function newClient(path: string, credentials: { username: string; password: string }, options: { soap12?: boolean; version?: number; ns?: string } = {}) {
    const c = await soap.createClientAsync(`${t.url}${path}?WSDL`, { forceSoap12Headers: options.soap12 ?? false });
    c.setSecurity(new soap.BasicAuthSecurity(credentials.username, credentials.password));
    c.addSoapHeader({ ExternalAPIVersionSoapHeader: { ClientVersionIn: options.version ?? 22 } }, '', 'tns', options.ns ?? BOOKING_NS);
    return c;
  }

  function useSession(c: soap.Client, id: string, options: { mail?: boolean } = {}) {
    c.clearSoapHeaders();
    c.addSoapHeader({ ExternalAPIVersionSoapHeader: { ClientVersionIn: 22, ClientSession: id } }, '', 'tns', BOOKING_NS);
    if (options.mail) c.addSoapHeader({ ContextHeader: { SendConfirmationMail: true, ExcludeConferenceInformation: false } }, '', 'tns', BOOKING_NS);
  }

  /** A booking call as TMSXE-style clients make it: on a session fault, adopt the suggested id and call again [PS]. */
  async function tms(method: string, args: Record<string, unknown>, options: { mail?: boolean } = {}): Promise<any> {
    useSession(client, session, options);
    try {
      return (await (client as any)[`${method}Async`](args))[0];
    } catch (error) {
      const detail = (error as { root?: any }).root?.Envelope?.Body?.Fault?.detail;
      if (![TMS_ERROR.ERR_CLIENT_SESSION_BLANK, TMS_ERROR.ERR_CLIENT_SESSION_EXPIRED].includes(Number(detail?.errorcode) as never)) throw error;
      session = String(detail.clientsessionid);
      useSession(client, session, options);
      return (await (client as any)[`${method}Async`](args))[0];
    }
  }

  /** The calls the Lab CMS hosts now, over its own API. */
  async function cmsCalls(): Promise<string> {
    const response = await fetch(`${cms.nodes[0].baseUrl}/api/v1/calls`, { headers: { authorization: `Basic ${Buffer.from('admin:secret-pw').toString('base64')}` } });
    return response.text();
  }

  before(async () => {
    await mail.start();
    cms = await createCmsCluster({ name: 'tmsba', nodes: [{ name: 'CallBridge-1', host: '127.0.0.1', port: 0 }], users: [{ name: 'admin', password: 'secret-pw' }], clock });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    const mailer = createSmtpMailer({ host: '127.0.0.1', port: mail.port, from: 'tms@switchboard.test' });
    t = await startTestSwitchboard({
      clock,
      areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 5000, backoffMs: 200, reconcileIntervalMs: 1e12, mailer: () => mailer })],
      config: { jobPollSeconds: 0.5 } as never,
    });
    const system = { type: 'system' as const, id: null, name: 'test', role: 'system' as const, customerOrgId: null };
    await t.sb.services.auth.createUser({ ...booker, role: 'booker' }, system);
    await t.sb.services.auth.createUser({ ...reader, role: 'read_only_admin' }, system);
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl.replace(/^http:\/\//, ''), username: 'admin', password: 'secret-pw', tls: false });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    bridgeId = added.body.items[0].id;
    const pool = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { name: 'CMS Lab', sipDomain: 'lab.local', numericIdBase: 1, numericIdQuantity: 2 });
    assert.equal(pool.status, 200, JSON.stringify(pool.body));
    await until('pool sync', async () => ['completed', 'failed'].includes((await t.api('GET', `/api/v1/jobs/${pool.body.poolSyncJobId}`)).body.state));
  });
  after(async () => {
    await t?.close();
    await cms?.stop();
    await mail.stop();
  });

  test('each service serves its WSDL at ?WSDL, any case, in its own namespace', async () => {
    const booking = await fetch(`${t.url}/TMS/External/Booking/BookingService.asmx?wsdl`);
    assert.equal(booking.status, 200);
    const text = await booking.text();
    assert.match(text, new RegExp(`targetNamespace="${BOOKING_NS}"`));
    assert.match(text, new RegExp(`location="${t.url}${BOOKING_PATH}"`));
    assert.match(text, /soap12:binding/);
    const remote = await (await fetch(`${t.url}${REMOTE_SETUP_PATH}?WSDL`)).text();
    assert.match(remote, new RegExp(`targetNamespace="${REMOTE_SETUP_NS}"`));
  });

  test('Remote Setup: IsAlive, GetSystems lists the bridge, GetSystemById, GetUsers, rights', async () => {
    const remote = await newClient(REMOTE_SETUP_PATH, booker, { ns: REMOTE_SETUP_NS });
    const [alive] = await remote.IsAliveAsync({});
    assert.equal(alive.IsAliveResult, true);
    const [systems] = await remote.GetSystemsAsync({});
    const list = [systems.GetSystemsResult.TMSSystem].flat();
    assert.equal(list.length, 1);
    assert.equal(list[0].SystemName, 'CMS Lab');
    assert.equal(list[0].SystemCategory.systemCategory, 'Equipment');
    systemId = Number(list[0].SystemId);
    const [one] = await remote.GetSystemByIdAsync({ TMSSystemId: systemId });
    assert.equal(one.GetSystemByIdResult.SystemName, 'CMS Lab');
    const missing = await fault(remote.GetSystemByIdAsync({ TMSSystemId: 1 }));
    // SOAP 1.1: every fault on 500, the faultcode saying it is the caller's mistake.
    assert.equal(missing.status, 500);
    assert.equal(missing.fault.faultcode, 'soap:Client');
    assert.equal(missing.fault.detail.code, 'NOT_FOUND');
    assert.match(String(missing.fault.detail.trackingid), /\S/);
    assert.equal(Number(missing.fault.detail.errorcode), TMS_ERROR.SYSTEMNOTFOUND);
    const [users] = await remote.GetUsersAsync({});
    assert.ok([users.GetUsersResult.User].flat().some((u: any) => u.UserName === booker.username));
    const [behalf] = await remote.IsTMSBookOnBehalfUserAsync({});
    assert.equal(behalf.IsTMSBookOnBehalfUserResult, false);
  });

  test('HTTP Basic is required and mapped to Switchboard users; a read-only role may not book', async () => {
    const anonymous = await soap.createClientAsync(`${t.url}${BOOKING_PATH}?WSDL`);
    const refused = await fault(anonymous.GetDefaultConferenceAsync({}));
    assert.equal(refused.status, 401);
    assert.match(refused.fault.faultstring, /HTTP Basic/);
    const wrong = await newClient(BOOKING_PATH, { username: booker.username, password: 'nope' });
    assert.equal((await fault(wrong.GetDefaultConferenceAsync({}))).status, 401);
    // A read-only admin signs in, but booking needs bookings.manage (booker and up).
    const readOnly = await newClient(BOOKING_PATH, reader, { version: 5 });
    const forbidden = await fault(readOnly.SaveConferenceAsync({ Conference: { ConferenceId: -1, StartTimeUTC: '2026-03-05 10:00:00Z', EndTimeUTC: '2026-03-05 11:00:00Z', OwnerId: 0, ConferenceType: 'Default', Bandwidth: 'Default', PictureMode: 'Default', Encrypted: 'Default', DataConference: 'Default', ShowExtendOption: 'Default', ISDNRestrict: false } }));
    assert.equal(forbidden.status, 500);
    assert.equal(forbidden.fault.faultcode, 'soap:Client');
    assert.equal(Number(forbidden.fault.detail.errorcode), TMS_ERROR.NO_ACCESS_TO_CONFERENCE);
    assert.equal((await t.api('GET', '/api/v1/meetings/bookings')).body.total, 0);
  });

  test('HTTP Basic credentials verified a moment ago are remembered, yet a changed password or a disabled user is refused at once', async () => {
    const system = { type: 'system' as const, id: null, name: 'test', role: 'system' as const, customerOrgId: null };
    const user = await t.sb.services.auth.createUser({ username: 'cached-booker', password: 'first-password-1', role: 'booker' }, system);
    const alive = async (password: string) => {
      const response = await fetch(`${t.url}${REMOTE_SETUP_PATH}`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`cached-booker:${password}`).toString('base64')}`, 'content-type': 'text/xml; charset=utf-8', soapaction: `"${REMOTE_SETUP_NS}IsAlive"` },
        body: `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tns="${REMOTE_SETUP_NS}"><soap:Body><tns:IsAlive/></soap:Body></soap:Envelope>`,
      });
      await response.text();
      return response.status;
    };
    assert.equal(await alive('first-password-1'), 200);
    assert.equal(await alive('first-password-1'), 200);
    assert.equal(await alive('wrong-password'), 401);

    // Changed through the API: the old password is refused on the next request, the new one accepted.
    assert.equal((await t.api('PATCH', `/api/v1/users/${user.id}`, { password: 'second-password-2' })).status, 200);
    assert.equal(await alive('first-password-1'), 401);
    assert.equal(await alive('second-password-2'), 200);

    // Changed by another instance (its own memory untouched here): the stored hash no longer matches.
    const { hash } = await import('@node-rs/argon2');
    await t.sb.services.database.pool.query('update users set password_hash = $1 where id = $2', [await hash('third-password-3'), user.id]);
    assert.equal(await alive('second-password-2'), 401);
    assert.equal(await alive('third-password-3'), 200);

    // Disabled: refused at once; enabled again: accepted.
    assert.equal((await t.api('PATCH', `/api/v1/users/${user.id}`, { disabled: true })).status, 200);
    assert.equal(await alive('third-password-3'), 401);
    assert.equal((await t.api('PATCH', `/api/v1/users/${user.id}`, { disabled: false })).status, 200);
    assert.equal(await alive('third-password-3'), 200);
  });

  test('ClientSession: blank → fault suggesting an id; the suggested id is accepted and echoed; expired after 47 + 17 min', async () => {
    client = await newClient(BOOKING_PATH, booker);
    const blank = await fault(client.GetDefaultConferenceAsync({}));
    assert.equal(blank.status, 500);
    assert.equal(Number(blank.fault.detail.errorcode), TMS_ERROR.ERR_CLIENT_SESSION_BLANK);
    session = String(blank.fault.detail.clientsessionid);
    assert.ok(session.length > 10);
    useSession(client, session);
    const now = new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
    const [conference, , header] = await client.GetDefaultConferenceAsync({});
    const c = conference.GetDefaultConferenceResult;
    assert.equal(Number(c.ConferenceId), -1);
    assert.equal(c.StartTimeUTC, `${now.toISOString().slice(0, 19).replace('T', ' ')}Z`);
    assert.equal(c.EndTimeUTC, `${new Date(now.getTime() + 3_600_000).toISOString().slice(0, 19).replace('T', ' ')}Z`);
    assert.equal(header.ExternalAPIVersionSoapHeader.ClientSession, session);
    assert.equal(Number(header.VersionSoapHeader.ConfAPIVersion), 22);
    // An older client (v5: no session, T-separated times) gets the older shape.
    const old = await newClient(BOOKING_PATH, booker, { version: 5 });
    const [legacy] = await old.GetDefaultConferenceAsync({});
    assert.equal(legacy.GetDefaultConferenceResult.StartTimeUTC, `${now.toISOString().slice(0, 19)}Z`);
    assert.equal(legacy.GetDefaultConferenceResult.ConferenceState, undefined);

    const probe = await newClient(BOOKING_PATH, booker);
    useSession(probe, session);
    clock.advance(65 * 60_000);
    const expired = await fault(probe.GetDefaultConferenceAsync({}));
    assert.equal(Number(expired.fault.detail.errorcode), TMS_ERROR.ERR_CLIENT_SESSION_EXPIRED);
    session = String(expired.fault.detail.clientsessionid);
    useSession(client, session);
    const [renewed] = await client.GetDefaultConferenceAsync({});
    assert.equal(Number(renewed.GetDefaultConferenceResult.ConferenceId), -1);
  });

  let single: any;
  let series: any;
  let cursor = 0;
  test('SaveConference: a single meeting (bridge, dial-out, external ids, confirmation mail) and a weekly series with an exception', async () => {
    const saved = await tms('SaveConference', {
      Conference: {
        ConferenceId: -1, Title: 'Board call', StartTimeUTC: '2026-03-02 10:00:00Z', EndTimeUTC: '2026-03-02 11:00:00Z', OwnerId: 0,
        OwnerEmailAddress: 'owner@example.com', ConferenceType: 'Automatic Call Launch', Bandwidth: 'Default', PictureMode: 'Default', Encrypted: 'Default', DataConference: 'Default',
        ShowExtendOption: 'Default', Password: '4321', ISDNRestrict: false, ExternalSourceId: 'TMSXE', ExternalPrimaryKey: 'AAMkAD-board',
        Participants: { Participant: [{ ParticipantId: systemId, ParticipantCallType: 'TMS' }, { ParticipantId: 0, NameOrNumber: 'room.ex90@example.com', ParticipantCallType: 'SIP ->' }] },
      },
    }, { mail: true });
    single = saved.SaveConferenceResult;
    assert.ok(Number(single.ConferenceId) > 0);
    assert.equal(single.ConferenceState.Status, 'Pending');
    assert.equal(single.Password, undefined, 'the PIN is a secret: never answered');
    const rest = (await t.api('GET', `/api/v1/meetings/bookings?bridgeId=${bridgeId}`)).body.items.find((b: any) => b.conferenceId === Number(single.ConferenceId));
    assert.ok(rest, 'the conference is a Switchboard booking');
    assert.equal(rest.title, 'Board call');
    assert.equal(rest.startAt, '2026-03-02T10:00:00.000Z');
    assert.deepEqual(rest.dialOut, ['room.ex90@example.com']);
    assert.equal(rest.hasPasscode, true);
    assert.equal(rest.organizer, booker.username);
    assert.equal(rest.externalSourceId, 'TMSXE');
    assert.equal(rest.externalPrimaryKey, 'AAMkAD-board');
    const confirmation = await until('the confirmation mail', async () => mail.to('owner@example.com')[0], 50);
    assert.match(confirmation.subject, /Board call/);
    assert.match(confirmation.text, /Conference ID: \d+/);
    assert.doesNotMatch(confirmation.text, /4321/);

    const weekly = await tms('SaveConference', {
      Conference: {
        ConferenceId: -1, Title: 'Weekly sync', StartTimeUTC: '2026-03-03 09:00:00Z', EndTimeUTC: '2026-03-03 09:30:00Z', OwnerId: 0, ConferenceType: 'Automatic Call Launch',
        Bandwidth: 'Default', PictureMode: 'Default', Encrypted: 'Default', DataConference: 'Default', ShowExtendOption: 'Default', ISDNRestrict: false,
        RecurrencePattern: {
          FrequencyType: 'Weekly', Interval: 1, DaysOfWeek: { DayOfWeek: ['Tuesday'] }, FirstDayOfWeek: 'Sunday', BySetPosition: 0, PatternEndType: 'EndByInstances', PatternInstances: 4,
          Exceptions: { RecurrenceException: [{ ExceptionType: 'DELETE', RecurrenceIdUTC: '2026-03-10 09:00:00Z', RecurrenceIdRange: 'None', ModifiedMask: 0 }] },
        },
        Participants: { Participant: [{ ParticipantId: systemId, ParticipantCallType: 'TMS' }] },
      },
    });
    series = weekly.SaveConferenceResult;
    assert.equal(series.RecurrencePattern.FrequencyType, 'Weekly');
    assert.equal(series.RecurrencePattern.PatternInstances, 4);
    const restSeries = (await t.api('GET', `/api/v1/meetings/bookings?bridgeId=${bridgeId}`)).body.items.find((b: any) => b.conferenceId === Number(series.ConferenceId));
    assert.equal(restSeries.recurrence, 'FREQ=WEEKLY;BYDAY=TU;COUNT=4');
    const occurrences = (await t.api('GET', `/api/v1/meetings/bookings/${restSeries.id}`)).body.occurrences;
    assert.deepEqual(occurrences.map((o: any) => o.startAt), ['2026-03-03T09:00:00.000Z', '2026-03-17T09:00:00.000Z', '2026-03-24T09:00:00.000Z']);
    const recurrent = await tms('GetRecurrentConferenceById', { ConferenceId: series.ConferenceId });
    const exceptions = [recurrent.GetRecurrentConferenceByIdResult.RecurrencePattern.Exceptions.RecurrenceException].flat();
    assert.deepEqual(exceptions.map((e: any) => [e.ExceptionType, e.RecurrenceIdUTC]), [['DELETE', '2026-03-10 09:00:00Z']]);
  });

  test('GetTransactionsSince: both new conferences; after an update only the updated one; a stale Version is refused', async () => {
    const all = await tms('GetTransactionsSince', { CurrentTransactionId: 0 });
    const transactions = [all.GetTransactionsSinceResult.Transaction].flat();
    assert.deepEqual(transactions.map((x: any) => [Number(x.ConferenceId), x.TransType]), [[Number(single.ConferenceId), 'New'], [Number(series.ConferenceId), 'New']]);
    cursor = Number(transactions.at(-1).TransactionId);

    const read = await tms('GetConferenceById', { ConferenceId: single.ConferenceId });
    const current = read.GetConferenceByIdResult;
    const updated = await tms('SaveConference', { Conference: { ...current, Title: 'Board call (moved)', StartTimeUTC: '2026-03-02 10:30:00Z', EndTimeUTC: '2026-03-02 11:30:00Z' } });
    assert.equal(updated.SaveConferenceResult.Title, 'Board call (moved)');
    const rest = (await t.api('GET', `/api/v1/meetings/bookings?bridgeId=${bridgeId}`)).body.items.find((b: any) => b.conferenceId === Number(single.ConferenceId));
    assert.equal(rest.title, 'Board call (moved)');
    assert.equal(rest.startAt, '2026-03-02T10:30:00.000Z');
    assert.deepEqual(rest.dialOut, ['room.ex90@example.com']);

    const stale = await fault(tms('SaveConference', { Conference: { ...current, Title: 'Lost update' } }));
    assert.equal(stale.status, 500);
    assert.match(stale.fault.faultstring, /changed since Version/);

    const since = await tms('GetTransactionsSinceWithExternalId', { CurrentTransactionId: cursor });
    const after = [since.GetTransactionsSinceWithExternalIdResult.TransactionWithExternalId].flat();
    assert.deepEqual(after.map((x: any) => [Number(x.ConferenceId), x.TransType, x.ExternalPrimaryKey]), [[Number(single.ConferenceId), 'Updated', 'AAMkAD-board']]);
    cursor = Number(after.at(-1).TransactionId);
  });

  test('SaveConferenceRecInstance moves one occurrence; GetRecurrentConferenceById shows it as MODIFY', async () => {
    const saved = await tms('SaveConferenceRecInstance', {
      Conference: { ConferenceId: series.ConferenceId, RecurrenceInstanceIdUTC: '2026-03-17 09:00:00Z', StartTimeUTC: '2026-03-17 13:00:00Z', EndTimeUTC: '2026-03-17 13:30:00Z', OwnerId: 0, ConferenceType: 'Automatic Call Launch', Bandwidth: 'Default', PictureMode: 'Default', Encrypted: 'Default', DataConference: 'Default', ShowExtendOption: 'Default', ISDNRestrict: false },
    });
    const occurrence = saved.SaveConferenceRecInstanceResult;
    assert.equal(occurrence.RecurrenceInstanceIdUTC, '2026-03-17 09:00:00Z');
    assert.equal(occurrence.RecurrenceInstanceType, 'modify');
    assert.equal(occurrence.StartTimeUTC, '2026-03-17 13:00:00Z');
    const restSeries = (await t.api('GET', `/api/v1/meetings/bookings?bridgeId=${bridgeId}`)).body.items.find((b: any) => b.conferenceId === Number(series.ConferenceId));
    const moved = (await t.api('GET', `/api/v1/meetings/bookings/${restSeries.id}`)).body.occurrences.find((o: any) => o.conferenceId === Number(occurrence.ConferenceId));
    assert.equal(moved.startAt, '2026-03-17T13:00:00.000Z');
    assert.equal(moved.edited, true);
    const recurrent = await tms('GetRecurrentConferenceById', { ConferenceId: series.ConferenceId });
    const exceptions = [recurrent.GetRecurrentConferenceByIdResult.RecurrencePattern.Exceptions.RecurrenceException].flat();
    assert.deepEqual(exceptions.map((e: any) => [e.ExceptionType, e.RecurrenceIdUTC, e.ModifiedData?.StartTimeUTC]), [['DELETE', '2026-03-10 09:00:00Z', undefined], ['MODIFY', '2026-03-17 09:00:00Z', '2026-03-17 13:00:00Z']]);
    const user = await tms('GetConferencesForUser', { UserName: '', StartTime: '2026-03-01T00:00:00Z', EndTime: '2026-04-01T00:00:00Z', ConferenceStatus: 'Pending' });
    assert.deepEqual([user.GetConferencesForUserResult.Conference].flat().map((c: any) => c.StartTimeUTC), ['2026-03-02 10:30:00Z', '2026-03-03 09:00:00Z', '2026-03-17 13:00:00Z', '2026-03-24 09:00:00Z']);
  });

  test('a conflict: Strict answers the fault a TMSBA client expects; BestEffortForced keeps a Defective booking that never starts', async () => {
    const overlapping = (title: string) => ({
      ConferenceId: -1, Title: title, StartTimeUTC: '2026-03-02 10:45:00Z', EndTimeUTC: '2026-03-02 11:15:00Z', OwnerId: 0, ConferenceType: 'Automatic Call Launch', Bandwidth: 'Default',
      PictureMode: 'Default', Encrypted: 'Default', DataConference: 'Default', ShowExtendOption: 'Default', ISDNRestrict: false, Participants: { Participant: [{ ParticipantId: systemId, ParticipantCallType: 'TMS' }] },
    });
    const second = await tms('SaveConference', { Conference: overlapping('Second') });
    assert.equal(second.SaveConferenceResult.ConferenceState.Status, 'Pending');
    const refused = await fault(tms('SaveConferenceWithMode', { Conference: overlapping('Third'), BookingMode: 'Strict' }));
    assert.equal(refused.status, 500);
    assert.equal(refused.fault.faultcode, 'soap:Client');
    assert.equal(Number(refused.fault.detail.errorcode), TMS_ERROR.SYSTEM_ALREADY_BOOKED);
    assert.match(refused.fault.faultstring, /No free meeting slot on CMS Lab/);
    const kept = await tms('SaveConferenceWithMode', { Conference: overlapping('Third, best effort'), BookingMode: 'BestEffortForced' });
    const defective = kept.SaveConferenceWithModeResult;
    assert.equal(defective.ConferenceState.Status, 'Defective');
    const rest = (await t.api('GET', `/api/v1/meetings/bookings?bridgeId=${bridgeId}`)).body.items.find((b: any) => b.conferenceId === Number(defective.ConferenceId));
    assert.equal(rest.state, 'defective');
    // It holds no slot: the second conference's slot is still the only other one taken.
    const forSystems = await tms('GetConferencesForSystems', { SystemIds: { int: [systemId] }, StartTime: '2026-03-02T10:00:00Z', EndTime: '2026-03-02T12:00:00Z', ConferenceStatus: 'Defective' });
    assert.deepEqual([forSystems.GetConferencesForSystemsResult.Conference].flat().map((c: any) => c.Title), ['Third, best effort']);
    defectiveId = rest.id;
    secondId = Number(second.SaveConferenceResult.ConferenceId);
  });
  let defectiveId: string;
  let secondId: number;

  test('EndConferenceById ends the ongoing meeting on the Lab CMS; the Defective one never started; DeleteConferenceById cancels a series', async () => {
    const bookings = (await t.api('GET', `/api/v1/meetings/bookings?bridgeId=${bridgeId}`)).body.items;
    const board = bookings.find((b: any) => b.conferenceId === Number(single.ConferenceId));
    const occId = (await t.api('GET', `/api/v1/meetings/bookings/${board.id}`)).body.occurrences[0].id;
    clock.set('2026-03-02T10:29:55Z');
    const ongoing = await until('the board call ongoing', async () => {
      const m = (await t.api('GET', `/api/v1/meetings/meetings/${occId}`)).body;
      return m.state === 'ongoing' && m;
    });
    assert.match(await cmsCalls(), new RegExp(`<call id="${ongoing.callId}"`));
    const running = await tms('GetConferencesForUser', { UserName: booker.username, StartTime: '2026-03-02T00:00:00Z', EndTime: '2026-03-03T00:00:00Z', ConferenceStatus: 'Ongoing' });
    assert.deepEqual([running.GetConferencesForUserResult.Conference].flat().map((c: any) => c.Title), ['Board call (moved)']);

    await tms('EndConferenceById', { ConferenceId: single.ConferenceId });
    const ended = await until('the board call ended', async () => {
      const m = (await t.api('GET', `/api/v1/meetings/meetings/${occId}`)).body;
      return m.state === 'ended' && m;
    });
    assert.ok(ended.endedAt);
    assert.doesNotMatch(await cmsCalls(), new RegExp(`<call id="${ongoing.callId}"`));
    const again = await fault(tms('EndConferenceById', { ConferenceId: single.ConferenceId }));
    assert.equal(Number(again.fault.detail.errorcode), TMS_ERROR.MEETINGNOTACTIVE);

    // The conference booked for the same time as the Defective one starts; the Defective one never does.
    const secondBooking = (await t.api('GET', `/api/v1/meetings/bookings?bridgeId=${bridgeId}`)).body.items.find((b: any) => b.conferenceId === secondId);
    const secondOcc = (await t.api('GET', `/api/v1/meetings/bookings/${secondBooking.id}`)).body.occurrences[0].id;
    clock.set('2026-03-02T10:44:55Z');
    await until('the second conference ongoing', async () => (await t.api('GET', `/api/v1/meetings/meetings/${secondOcc}`)).body.state === 'ongoing');
    const defective = (await t.api('GET', `/api/v1/meetings/bookings/${defectiveId}`)).body;
    assert.deepEqual(defective.occurrences.map((o: any) => [o.state, o.callId]), [['defective', null]]);
    await tms('EndConferenceById', { ConferenceId: secondId });
    await until('the second conference ended', async () => (await t.api('GET', `/api/v1/meetings/meetings/${secondOcc}`)).body.state === 'ended');

    await tms('DeleteConferenceById', { ConferenceId: series.ConferenceId });
    const restSeries = (await t.api('GET', `/api/v1/meetings/bookings?bridgeId=${bridgeId}`)).body.items.find((b: any) => b.conferenceId === Number(series.ConferenceId));
    assert.equal(restSeries.state, 'cancelled');
    const since = await tms('GetTransactionsSince', { CurrentTransactionId: cursor });
    const transactions = [since.GetTransactionsSinceResult.Transaction].flat();
    assert.deepEqual(transactions.at(-1) && [Number(transactions.at(-1).ConferenceId), transactions.at(-1).TransType], [Number(series.ConferenceId), 'Deleted']);
  });

  test('bad input is a SOAP 1.1 fault on 500 (faultcode soap:Client) with a clear message, never the JSON envelope; HTTP refusals keep their status', async () => {
    const noZ = await fault(tms('SaveConference', { Conference: { ConferenceId: -1, Title: 'x', StartTimeUTC: '2026-03-05 10:00:00', EndTimeUTC: '2026-03-05 11:00:00Z', OwnerId: 0, ConferenceType: 'Default', Bandwidth: 'Default', PictureMode: 'Default', Encrypted: 'Default', DataConference: 'Default', ShowExtendOption: 'Default', ISDNRestrict: false } }));
    assert.equal(noZ.status, 500);
    assert.equal(noZ.fault.faultcode, 'soap:Client');
    assert.match(noZ.fault.faultstring, /StartTimeUTC must be a UTC time ending in Z/);
    const unknown = await fault(tms('GetConferenceById', { ConferenceId: 99 }));
    assert.equal(unknown.status, 500);
    assert.equal(Number(unknown.fault.detail.errorcode), TMS_ERROR.MEETINGNOTFOUND);
    const yearly = await fault(tms('SaveConference', { Conference: { ConferenceId: -1, StartTimeUTC: '2026-03-05 10:00:00Z', EndTimeUTC: '2026-03-05 11:00:00Z', OwnerId: 0, ConferenceType: 'Default', Bandwidth: 'Default', PictureMode: 'Default', Encrypted: 'Default', DataConference: 'Default', ShowExtendOption: 'Default', ISDNRestrict: false, RecurrencePattern: { FrequencyType: 'Hourly', Interval: 1, FirstDayOfWeek: 'Sunday', BySetPosition: 0, PatternEndType: 'EndNever', PatternInstances: 0 } } }));
    assert.equal(yearly.status, 500);
    assert.match(yearly.fault.faultstring, /Hourly is not supported/);

    const headers = { 'content-type': 'text/xml; charset=utf-8', authorization: `Basic ${Buffer.from(`${booker.username}:${booker.password}`).toString('base64')}` };
    const broken = await fetch(`${t.url}${BOOKING_PATH}`, { method: 'POST', headers, body: '<soap:Envelope' });
    assert.equal(broken.status, 500);
    assert.match(broken.headers.get('content-type') ?? '', /text\/xml/);
    assert.match(await broken.text(), /<faultcode>soap:Client<\/faultcode><faultstring>The body is not well-formed XML/);
    const json = await fetch(`${t.url}${BOOKING_PATH}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 415);
    assert.match(await json.text(), /<soap:Fault>/);
    const nowhere = await fetch(`${t.url}/tms/external/booking/nowhere.asmx`, { method: 'POST', headers, body: '<x/>' });
    assert.equal(nowhere.status, 404);
    assert.match(await nowhere.text(), /<soap:Fault>.*No route POST/);
    const huge = await fetch(`${t.url}${BOOKING_PATH}`, { method: 'POST', headers, body: `<a>${'x'.repeat(1_100_000)}</a>` });
    assert.equal(huge.status, 413);
    assert.match(await huge.text(), /<soap:Fault>/);
  });

  test('SOAP 1.2: the same client over the Soap12 binding; faults in the SOAP 1.2 shape', async () => {
    const c12 = await newClient(REMOTE_SETUP_PATH, booker, { soap12: true, ns: REMOTE_SETUP_NS });
    const [alive] = await c12.IsAliveAsync({});
    assert.equal(alive.IsAliveResult, true);
    assert.match(String(c12.lastResponseHeaders?.['content-type']), /application\/soap\+xml/);
    const missing = await fault(c12.GetSystemByIdAsync({ TMSSystemId: 1 }));
    // SOAP 1.2: env:Sender on 400.
    assert.equal(missing.status, 400);
    assert.equal(missing.fault.Code.Value, 'soap:Sender');
    assert.match(missing.fault.Reason.Text.$value ?? missing.fault.Reason.Text, /No system with SystemId 1/);
  });
});
