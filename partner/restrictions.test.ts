import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSwitchboard, type ApiResponse, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from './partner.area.ts';
import { createClusterAndTemplate, subscriberBody, waitForStatus } from './partner.testkit.ts';
import { restrictedControls } from './restrictions.service.ts';

// P14 restricted-by-partner mode: a customer admin of a restricted org gets 403 (with a clear
// message and a tracking ID) on every restricted control, and succeeds on each once the partner
// turns the mode off; user details stay editable; partner admins are never restricted.
describe('P14 restricted-by-partner mode', () => {
  let t: TestSwitchboard;
  let orgId: string;
  let otherOrgId: string;
  let customer: string;
  let personId: string;
  const as = (token: string) => ({ token });

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    const { template } = await createClusterAndTemplate(t);
    for (const enterprise of ['SP1+restricted', 'SP1+other']) {
      const sub = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: enterprise }));
      assert.equal((await waitForStatus(t, sub.body.id, ['provisioned', 'error'])).status, 'provisioned');
    }
    const customers = (await t.api('GET', '/api/v1/partner/customers')).body.items;
    orgId = customers.find((c: any) => c.spEnterpriseId === 'SP1+restricted').id;
    otherOrgId = customers.find((c: any) => c.spEnterpriseId === 'SP1+other').id;
    customer = await t.tokenFor('customer_admin', orgId);
    // A user without a subscriber, added by the partner (who is never restricted).
    const added = await t.api('POST', `/api/v1/partner/customers/${orgId}/users`, { email: 'manual@restricted.example', firstName: 'Manual', lastName: 'User', package: 'basic' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    personId = added.body.id;
  });
  after(async () => t?.close());

  const base = () => `/api/v1/partner/customers/${orgId}`;
  let n = 0;
  /** One request per restricted control: what a customer admin does to use it. */
  const attempts: Record<string, () => [string, string, unknown?]> = {
    'users.manage': () => ['POST', `${base()}/users`, { email: `added${++n}@restricted.example` }],
    'users.claim': () => ['POST', `${base()}/users/claim`, { emails: ['nobody@restricted.example'] }],
    'users.auto-license': () => ['PATCH', `${base()}/settings`, { autoLicense: true }],
    'users.directory-sync': () => ['PATCH', `${base()}/settings`, { directorySync: true }],
    'users.package': () => ['PATCH', `${base()}/users/${personId}`, { package: 'premium' }],
    'users.services': () => ['PATCH', `${base()}/users/${personId}`, { services: { calling: false } }],
    'users.service-status': () => ['GET', `${base()}/users/${personId}/service-status`],
    'users.primary-work-number': () => ['PATCH', `${base()}/users/${personId}`, { primaryWorkNumber: '+1-240-555-0199' }],
    'account.company-name': () => ['PATCH', `${base()}/settings`, { companyName: 'Renamed Ltd' }],
    'settings.domain': () => ['PATCH', `${base()}/settings`, { domain: 'restricted.example' }],
    'settings.email': () => ['PATCH', `${base()}/settings`, { suppressAdminInviteEmails: true, emailLanguage: 'de' }],
    'settings.authentication': () => ['PATCH', `${base()}/settings`, { authenticationMode: 'webex' }],
    'calling.app-priority': () => ['PATCH', `${base()}/settings`, { appCallPriority: 'webex' }],
    'calling.behavior': () => ['PATCH', `${base()}/settings`, { callBehavior: 'jabber' }],
    'calling.pstn': () => ['PATCH', `${base()}/settings`, { pstnConnection: 'local_gateway' }],
    'services.migrations': () => ['PATCH', `${base()}/settings`, { migrationsService: false }],
    'services.connected-uc': () => ['PATCH', `${base()}/settings`, { connectedUc: false }],
  };
  const call = (token: string, [method, path, body]: [string, string, unknown?]) => t.api(method, path, body, as(token));
  const expectForbidden = (res: ApiResponse, pattern: RegExp) => {
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'FORBIDDEN');
    assert.match(res.body.error.message, pattern);
    assert.match(res.body.error.trackingId, /\S{8,}/);
    assert.equal(res.headers.get('trackingid'), res.body.error.trackingId);
  };

  test('every restricted control of seed 001 is enforced: 403 for the customer admin of a restricted org, then allowed once unrestricted', async () => {
    assert.deepEqual(Object.keys(attempts).sort(), restrictedControls.map((c) => c.id).sort(), 'one attempt per restricted control');
    const access = await t.api('GET', `${base()}/access`, undefined, as(customer));
    assert.equal(access.status, 200);
    assert.equal(access.body.restrictedByPartner, true, 'on by default for a new org');
    assert.match(access.body.banner, /Restricted by partner mode is on/);
    assert.ok(access.body.controls.every((c: any) => c.allowed === false));

    for (const control of restrictedControls) {
      const res = await call(customer, attempts[control.id]!());
      expectForbidden(res, /restricted by your partner/);
      assert.ok(res.body.error.message.includes(control.label), `${control.id}: the message names the control (${res.body.error.message})`);
      assert.deepEqual(res.body.error.details.controls, [control.id]);
    }
    // Nothing changed behind the 403s.
    const settings = (await t.api('GET', `${base()}/settings`)).body;
    assert.equal(settings.autoLicense, false);
    assert.equal(settings.companyName, 'restricted');
    assert.equal((await t.api('GET', `${base()}/users`)).body.items.length, 2);

    // The partner turns the mode off (audited); the banner goes and every control works.
    const off = await t.api('PUT', `${base()}/restricted`, { restricted: false });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const audit = await t.api('GET', `/api/v1/audit?action=partner.customer.restricted&entityId=${orgId}`);
    assert.equal(audit.body.items.length, 1);
    assert.deepEqual(audit.body.items[0].after, { restricted: false });
    const unrestricted = await t.api('GET', `${base()}/access`, undefined, as(customer));
    assert.equal(unrestricted.body.banner, null);
    assert.ok(unrestricted.body.controls.every((c: any) => c.allowed === true));
    // The domain first: claiming takes accounts in it.
    const domainFirst = [...restrictedControls].sort((a, b) => Number(b.id === 'settings.domain') - Number(a.id === 'settings.domain'));
    for (const control of domainFirst) {
      const res = await call(customer, attempts[control.id]!());
      assert.ok(res.status >= 200 && res.status < 300, `${control.id}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const changed = (await t.api('GET', `${base()}/settings`, undefined, as(customer))).body;
    assert.equal(changed.companyName, 'Renamed Ltd');
    assert.equal(changed.autoLicense, true);
    assert.equal(changed.pstnConnection, 'local_gateway');
    assert.equal(changed.emailLanguage, 'de');
    const manual = (await t.api('GET', `${base()}/users`, undefined, as(customer))).body.items.find((u: any) => u.id === personId);
    assert.equal(manual.package, 'premium');
    assert.equal(manual.services.calling, false);
    assert.equal(manual.primaryWorkNumber, '+1-240-555-0199');

    // On again: restricted once more, and hidden controls read as null for the customer admin only.
    assert.equal((await t.api('PUT', `${base()}/restricted`, { restricted: true })).status, 200);
    const hidden = (await t.api('GET', `${base()}/settings`, undefined, as(customer))).body;
    assert.equal(hidden.pstnConnection, null);
    assert.equal(hidden.connectedUc, null);
    assert.equal((await t.api('GET', `${base()}/settings`)).body.pstnConnection, 'local_gateway');
    expectForbidden(await call(customer, attempts['calling.pstn']!()), /Location > PSTN/);
  });

  test('user details stay editable in a restricted org; a restricted field in the same request refuses all of it', async () => {
    const ok = await t.api('PATCH', `${base()}/users/${personId}`, { firstName: 'Renamed', displayName: 'Renamed User' }, as(customer));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.displayName, 'Renamed User');
    const mixed = await t.api('PATCH', `${base()}/users/${personId}`, { firstName: 'Again', package: 'basic' }, as(customer));
    expectForbidden(mixed, /reset a user's package/i);
    assert.equal((await t.api('GET', `${base()}/users`)).body.items.find((u: any) => u.id === personId).firstName, 'Renamed');
  });

  test('a customer admin is scoped to their own org and cannot toggle the mode or change partner-only settings', async () => {
    expectForbidden(await t.api('GET', `/api/v1/partner/customers/${otherOrgId}/settings`, undefined, as(customer)), /only manage their own organisation/);
    expectForbidden(await t.api('PATCH', `/api/v1/partner/customers/${otherOrgId}/settings`, { webexAssistant: false }, as(customer)), /own organisation/);
    assert.equal((await t.api('PUT', `${base()}/restricted`, { restricted: false }, as(customer))).status, 403);
    expectForbidden(await t.api('PATCH', `${base()}/settings`, { videoCalls: false }, as(customer)), /Only a partner administrator can change videoCalls/);
    assert.equal((await t.api('GET', '/api/v1/partner/customers', undefined, as(customer))).status, 403, 'the partner views stay partner-only');
    // Partner admins work in any org, restricted or not.
    assert.equal((await t.api('PATCH', `/api/v1/partner/customers/${otherOrgId}/settings`, { directorySync: true })).status, 200);
    // A read-only partner admin reads but does not change.
    const readOnly = await t.tokenFor('read_only_admin');
    assert.equal((await t.api('GET', `${base()}/settings`, undefined, as(readOnly))).status, 200);
    assert.equal((await t.api('PATCH', `${base()}/settings`, { autoLicense: false }, as(readOnly))).status, 403);
  });
});
