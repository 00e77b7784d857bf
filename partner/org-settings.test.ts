import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from './partner.area.ts';
import { appReleaseAt } from './org-settings.service.ts';
import { createClusterAndTemplate, subscriberBody, waitForStatus } from './partner.testkit.ts';

// P13: release schedules (partner default cascaded, or per org), Webex Assistant for Standard and
// Premium users, free calling fixed from the template for new users, video/screen-share tags.
describe('P13 customer org settings', () => {
  let t: TestSwitchboard;
  let template: any;
  const orgs: Record<string, string> = {};
  const provision = async (enterprise: string, pkg: string, email?: string) => {
    const res = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: enterprise, package: pkg, ...(email ? { email } : {}) }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const done = await waitForStatus(t, res.body.id, ['provisioned', 'error']);
    assert.equal(done.status, 'provisioned', JSON.stringify(done));
    return done;
  };
  const users = async (orgId: string) => (await t.api('GET', `/api/v1/partner/customers/${orgId}/users`)).body.items as any[];

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    template = (await createClusterAndTemplate(t)).template;
    await provision('SP1+north', 'standard', 'std@north.example');
    await provision('SP1+south', 'basic');
    for (const c of (await t.api('GET', '/api/v1/partner/customers')).body.items) orgs[c.spEnterpriseId] = c.id;
  });
  after(async () => t?.close());

  test('release schedule: a partner default every org follows, a per-org override, and cascading drops the overrides', async () => {
    const now = new Date();
    const initial = await t.api('GET', '/api/v1/partner/release-schedule');
    assert.equal(initial.body.deferDays, 0);
    assert.equal(initial.body.appRelease, appReleaseAt(now, 0));

    const set = await t.api('PUT', '/api/v1/partner/release-schedule', { deferDays: 45 });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.appRelease, appReleaseAt(now, 45));
    assert.notEqual(set.body.appRelease, set.body.ciscoRelease, 'a 45-day deferral stays at least one monthly release behind');
    const north = `/api/v1/partner/customers/${orgs['SP1+north']}/settings`;
    const south = `/api/v1/partner/customers/${orgs['SP1+south']}/settings`;
    assert.deepEqual((await t.api('GET', north)).body.release, { deferDays: 45, source: 'partner', appRelease: appReleaseAt(now, 45) });

    const override = await t.api('PATCH', north, { releaseDeferDays: 0 });
    assert.equal(override.status, 200, JSON.stringify(override.body));
    assert.deepEqual(override.body.release, { deferDays: 0, source: 'org', appRelease: appReleaseAt(now, 0) });
    await t.api('PUT', '/api/v1/partner/release-schedule', { deferDays: 30 });
    assert.equal((await t.api('GET', north)).body.release.deferDays, 0, 'an org with its own schedule keeps it');
    assert.equal((await t.api('GET', south)).body.release.deferDays, 30, 'the others follow the partner default');
    assert.equal((await t.api('GET', '/api/v1/partner/release-schedule')).body.orgOverrides, 1);

    const cascaded = await t.api('PUT', '/api/v1/partner/release-schedule', { deferDays: 60, cascade: true });
    assert.equal(cascaded.body.orgOverrides, 0);
    assert.deepEqual((await t.api('GET', north)).body.release, { deferDays: 60, source: 'partner', appRelease: appReleaseAt(now, 60) });
    const audit = await t.api('GET', '/api/v1/audit?action=partner.release-schedule.update');
    assert.equal(audit.body.items[0].after.overridesCleared, 1);

    assert.equal((await t.api('PUT', '/api/v1/partner/release-schedule', { deferDays: 91 })).status, 400);
    const customer = await t.tokenFor('customer_admin', orgs['SP1+north']);
    assert.equal((await t.api('PATCH', north, { releaseDeferDays: 5 }, { token: customer })).status, 403);
  });

  test('Webex Assistant: on for Standard and Premium users by default, off for the others; partner or customer admin can turn it off', async () => {
    const orgId = orgs['SP1+north']!;
    await provision('SP1+north', 'premium');
    await provision('SP1+north', 'basic');
    await provision('SP1+north', 'softphone');
    const byPackage = Object.fromEntries((await users(orgId)).map((u) => [u.package, u.webexAssistant]));
    assert.deepEqual(byPackage, { standard: true, premium: true, basic: false, softphone: false });
    assert.equal((await t.api('GET', `/api/v1/partner/customers/${orgId}/settings`)).body.webexAssistant, true);

    // A customer admin may turn it off even in restricted mode (it is not a restricted control).
    const customer = await t.tokenFor('customer_admin', orgId);
    const off = await t.api('PATCH', `/api/v1/partner/customers/${orgId}/settings`, { webexAssistant: false }, { token: customer });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.ok((await users(orgId)).every((u) => u.webexAssistant === false));
    await t.api('PATCH', `/api/v1/partner/customers/${orgId}/settings`, { webexAssistant: true });
    assert.equal((await users(orgId)).filter((u) => u.webexAssistant).length, 2);
  });

  test('free Webex calling: off for users provisioned after the template disables it; existing users keep theirs until provisioned again', async () => {
    const orgId = orgs['SP1+south']!;
    const before = await users(orgId);
    assert.ok(before.every((u) => u.freeCalling === true), 'on by default');
    const patched = await t.api('PATCH', `/api/v1/partner/templates/${template.id}`, { disableFreeCalling: true });
    assert.equal(patched.status, 200);
    const late = await provision('SP1+south', 'basic', 'late@south.example');
    const after = await users(orgId);
    assert.equal(after.find((u) => u.email === 'late@south.example').freeCalling, false);
    assert.equal(after.find((u) => u.email === before[0].email).freeCalling, true, 'an existing user is unchanged');

    // Cisco's way for an existing user: remove the subscriber and provision it again.
    const old = (await t.api('GET', `/v1/broadworks/subscribers?email=${encodeURIComponent(before[0].email)}`)).body.items[0];
    assert.equal((await t.api('DELETE', `/v1/broadworks/subscribers/${old.id}`)).status, 204);
    await provision('SP1+south', 'basic', before[0].email);
    assert.equal((await users(orgId)).find((u) => u.email === before[0].email).freeCalling, false);
    await t.api('PATCH', `/api/v1/partner/templates/${template.id}`, { disableFreeCalling: false });
    assert.ok(late.personId);
  });

  test('video calls and screen share within calls: partner configuration tags, on by default, refused to customer admins', async () => {
    const path = `/api/v1/partner/customers/${orgs['SP1+south']}/settings`;
    const defaults = (await t.api('GET', path)).body;
    assert.deepEqual([defaults.videoCalls, defaults.screenShareInCalls, defaults.incomingCallMedia], [true, true, 'video']);
    const changed = await t.api('PATCH', path, { videoCalls: false, screenShareInCalls: false, incomingCallMedia: 'audio' });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.deepEqual([changed.body.videoCalls, changed.body.screenShareInCalls, changed.body.incomingCallMedia], [false, false, 'audio']);
    await t.api('PUT', `/api/v1/partner/customers/${orgs['SP1+south']}/restricted`, { restricted: false });
    const customer = await t.tokenFor('customer_admin', orgs['SP1+south']);
    const refused = await t.api('PATCH', path, { screenShareInCalls: true }, { token: customer });
    assert.equal(refused.status, 403, 'partner-only even when the org is not restricted');
    assert.match(refused.body.error.message, /Only a partner administrator can change screenShareInCalls/);
    assert.equal((await t.api('PATCH', path, { incomingCallMedia: 'loud' })).status, 400);
  });
});
