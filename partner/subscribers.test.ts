import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from './partner.area.ts';
import { createClusterAndTemplate, subscriberBody, waitFor, waitForStatus, webexContract } from './partner.testkit.ts';

// P1, P2 (API), P5, P10, P11, P12 through the Webex-compatible /v1 API; every response checked
// against the Webex OpenAPI schemas (contract).
describe('Webex-compatible BroadWorks subscribers API', () => {
  let t: TestSwitchboard;
  let provisioningId: string;
  let templateId: string;
  const contract = webexContract();
  const expectError = (res: { status: number; body: any }, status: number, errorCode: number, fieldName?: string) => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    contract?.error(res.body);
    assert.equal(res.body.errors[0].errorCode, errorCode, JSON.stringify(res.body));
    if (fieldName) assert.equal(res.body.errors[0].fieldName, fieldName);
    assert.equal(res.body.trackingId, (res as any).headers.get('trackingid'));
  };

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    const made = await createClusterAndTemplate(t);
    provisioningId = made.template.provisioningId;
    templateId = made.template.id;
  });
  after(async () => t?.close());

  test('P2/P1: provision answers provisioning, a job completes it; the first user creates the org once and is its admin', async () => {
    const first = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { spEnterpriseId: 'SP1+first' }));
    assert.equal(first.status, 200, JSON.stringify(first.body));
    contract?.subscriber(first.body);
    assert.equal(first.body.status, 'provisioning');
    assert.equal(first.body.personId, undefined);
    assert.equal(first.body.selfActivated, false);

    const done = await waitForStatus(t, first.body.id, ['provisioned', 'error']);
    assert.equal(done.status, 'provisioned', JSON.stringify(done));
    assert.ok(done.personId);
    contract?.subscriber(done);

    // Later users of the same enterprise, some at once: still exactly one org, none of them admin.
    const more = await Promise.all([1, 2, 3].map(() => t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { spEnterpriseId: 'SP1+first' }))));
    for (const res of more) assert.equal(res.status, 200);
    for (const res of more) assert.equal((await waitForStatus(t, res.body.id, ['provisioned', 'error'])).status, 'provisioned');
    const customers = await t.api('GET', '/api/v1/partner/customers');
    const orgs = customers.body.items.filter((c: any) => c.spEnterpriseId === 'SP1+first');
    assert.equal(orgs.length, 1);
    assert.equal(orgs[0].displayName, 'first');
    assert.equal(orgs[0].restricted, true);
    assert.equal(orgs[0].packages.standard, 4);

    const jobs = await t.api('GET', `/api/v1/jobs?queue=partner.provision-subscriber&limit=500`);
    const results = jobs.body.items.filter((j: any) => j.state === 'completed' && j.result?.customerOrgId === orgs[0].id).map((j: any) => j.result);
    assert.equal(results.length, 4);
    assert.equal(results.filter((r: any) => r.admin).length, 1, 'exactly one admin: the first user');
    assert.equal(results.filter((r: any) => r.createdOrg).length, 1, 'the org was created once');
    assert.equal(results.find((r: any) => r.createdOrg).personId, done.personId.length ? results.find((r: any) => r.admin).personId : undefined);
  });

  test('P2: concurrent first users of a new enterprise make one org', async () => {
    const burst = await Promise.all([1, 2, 3, 4, 5].map(() => t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { spEnterpriseId: 'SP1+burst' }))));
    for (const res of burst) assert.equal((await waitForStatus(t, res.body.id, ['provisioned', 'error'])).status, 'provisioned');
    const customers = await t.api('GET', '/api/v1/partner/customers');
    assert.equal(customers.body.items.filter((c: any) => c.spEnterpriseId === 'SP1+burst').length, 1);
  });

  test('errors have the Webex body: 1001 with fieldName, 10022, unknown provisioning ID, 401, 403', async () => {
    const { firstName: _missing, ...noName } = subscriberBody(provisioningId);
    expectError(await t.api('POST', '/v1/broadworks/subscribers', noName), 400, 1001, 'firstName');
    expectError(await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { email: undefined })), 400, 1001, 'email');
    expectError(await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { primaryPhoneNumber: undefined })), 400, 1001, 'primaryPhoneNumber');
    expectError(await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { package: 'gold' })), 400, 1003, 'package');
    expectError(await t.api('POST', '/v1/broadworks/subscribers', subscriberBody('nope:nope')), 400, 1004, 'provisioningId');

    const body = subscriberBody(provisioningId);
    assert.equal((await t.api('POST', '/v1/broadworks/subscribers', body)).status, 200);
    expectError(await t.api('POST', '/v1/broadworks/subscribers', { ...body, email: 'other@acme.example' }), 409, 10022, 'userId');
    expectError(await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { email: body.email })), 409, 10023, 'email');

    expectError(await t.api('GET', '/v1/broadworks/subscribers', undefined, { token: null }), 401, 1401);
    const readOnly = await t.tokenFor('read_only_admin');
    expectError(await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId), { token: readOnly }), 403, 1403);
    assert.equal((await t.api('GET', '/v1/broadworks/subscribers', undefined, { token: readOnly })).status, 200);
    expectError(await t.api('GET', '/v1/broadworks/subscribers/not-an-id'), 404, 1006);
    expectError(await t.api('GET', '/v1/broadworks/subscribers?max=101'), 400, 1002, 'max');
    // /api keeps the platform envelope.
    const platform = await t.api('GET', '/api/v1/partner/templates/not-a-uuid');
    assert.equal(platform.body.error.code, 'VALIDATION_FAILED');
  });

  test('list: documented filters, max default 50 up to 100, Link header paging', async () => {
    const { template } = await createClusterAndTemplate(t);
    const made = [];
    for (let batch = 0; batch < 4; batch += 1) {
      const res = await Promise.all(Array.from({ length: 15 }, (_, i) => t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'SP2+paging', package: i % 2 ? 'basic' : 'premium' }))));
      for (const r of res) assert.equal(r.status, 200);
      made.push(...res.map((r) => r.body));
    }
    const byTemplate = `provisioningId=${encodeURIComponent(template.provisioningId)}`;
    const page1 = await t.api('GET', `/v1/broadworks/subscribers?${byTemplate}`);
    assert.equal(page1.status, 200);
    contract?.subscriberList(page1.body);
    assert.equal(page1.body.items.length, 50);
    const next = /<([^>]+)>; rel="next"/.exec(page1.headers.get('link') ?? '')?.[1];
    assert.ok(next, page1.headers.get('link') ?? 'no Link header');
    const page2 = await t.api('GET', next!.slice(t.url.length).replace(/^https?:\/\/[^/]+/, ''));
    assert.equal(page2.body.items.length, 10);
    assert.doesNotMatch(page2.headers.get('link') ?? '', /rel="next"/);
    const ids = new Set([...page1.body.items, ...page2.body.items].map((s: any) => s.id));
    assert.equal(ids.size, 60);

    let walked = 0;
    let path: string | undefined = `/v1/broadworks/subscribers?${byTemplate}&max=7`;
    while (path) {
      const res: { body: any; headers: Headers } = await t.api('GET', path);
      walked += res.body.items.length;
      const link: string | undefined = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
      path = link ? new URL(link).pathname + new URL(link).search : undefined;
    }
    assert.equal(walked, 60);

    const one = made[3];
    await waitForStatus(t, one.id, ['provisioned']);
    const byUser = await t.api('GET', `/v1/broadworks/subscribers?userId=${encodeURIComponent(one.userId)}`);
    assert.deepEqual(byUser.body.items.map((s: any) => s.id), [one.id]);
    const byEmail = await t.api('GET', `/v1/broadworks/subscribers?email=${encodeURIComponent(one.email.toUpperCase())}`);
    assert.deepEqual(byEmail.body.items.map((s: any) => s.id), [one.id]);
    const full = (await t.api('GET', `/v1/broadworks/subscribers/${one.id}`)).body;
    const byPerson = await t.api('GET', `/v1/broadworks/subscribers?personId=${full.personId}`);
    assert.deepEqual(byPerson.body.items.map((s: any) => s.id), [one.id]);
    const byEnterprise = await t.api('GET', `/v1/broadworks/subscribers?spEnterpriseId=${encodeURIComponent('SP2+paging')}&max=100`);
    assert.equal(byEnterprise.body.items.length, 60);
    await waitFor('all provisioned', async () => (await t.api('GET', `/v1/broadworks/subscribers?${byTemplate}&status=provisioned,error&max=100`)).body.items.length === 60, { timeoutMs: 60_000 });
    const none = await t.api('GET', `/v1/broadworks/subscribers?${byTemplate}&status=error,provisioning`);
    assert.equal(none.body.items.length, 0);
    expectError(await t.api('GET', `/v1/broadworks/subscribers?status=sleeping`), 400, 1003, 'status');
    const future = Date.now() + 3_600_000;
    assert.equal((await t.api('GET', `/v1/broadworks/subscribers?${byTemplate}&after=${future}`)).body.items.length, 0);
    assert.equal((await t.api('GET', `/v1/broadworks/subscribers?${byTemplate}&after=2020-01-01T00:00:00Z&max=100`)).body.items.length, 60);
    assert.equal((await t.api('GET', `/v1/broadworks/subscribers?${byTemplate}&lastStatusChange=${future}`)).body.items.length, 0);
    assert.equal((await t.api('GET', `/v1/broadworks/subscribers?${byTemplate}&selfActivated=true`)).body.items.length, 0);
    expectError(await t.api('GET', `/v1/broadworks/subscribers?after=yesterday`), 400, 1003, 'after');
  });

  test('P11/P10: update answers updating, the job applies it; package and user ID changes are in the history', async () => {
    const created = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { package: 'standard', extension: '1212' }));
    await waitForStatus(t, created.body.id, ['provisioned']);
    const newUserId = `renamed-${created.body.userId}`;
    const updating = await t.api('PUT', `/v1/broadworks/subscribers/${created.body.id}`, { package: 'premium', userId: newUserId, mobilePhoneNumber: '+1-818-279-1234' });
    assert.equal(updating.status, 200, JSON.stringify(updating.body));
    contract?.subscriber(updating.body);
    assert.equal(updating.body.status, 'updating');
    assert.equal(updating.body.package, 'standard', 'the new values appear once the update is applied');
    expectError(await t.api('PUT', `/v1/broadworks/subscribers/${created.body.id}`, { package: 'basic' }), 409, 1007);

    const applied = await waitForStatus(t, created.body.id, ['provisioned']);
    assert.equal(applied.package, 'premium');
    assert.equal(applied.userId, newUserId);
    assert.equal(applied.mobilePhoneNumber, '+1-818-279-1234');

    // Empty values remove, but one of number / extension must stay.
    expectError(await t.api('PUT', `/v1/broadworks/subscribers/${created.body.id}`, { primaryPhoneNumber: '', extension: '' }), 400, 1001);
    await t.api('PUT', `/v1/broadworks/subscribers/${created.body.id}`, { primaryPhoneNumber: '' });
    const noNumber = await waitForStatus(t, created.body.id, ['provisioned']);
    assert.equal(noNumber.primaryPhoneNumber, undefined);
    assert.equal(noNumber.extension, '1212');

    const other = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId));
    await waitForStatus(t, other.body.id, ['provisioned']);
    expectError(await t.api('PUT', `/v1/broadworks/subscribers/${other.body.id}`, { userId: newUserId }), 409, 10022, 'userId');

    const uuid = Buffer.from(created.body.id, 'base64url').toString().split('/').pop();
    const history = await t.api('GET', `/api/v1/partner/subscribers/${uuid}/history`);
    const changes = history.body.items.map((h: any) => `${h.change}:${h.previous ?? ''}→${h.change === 'package' ? h.package : h.change === 'user_id' ? h.userId : h.status}`);
    assert.deepEqual(changes.slice(0, 5), ['created:→provisioning', 'status:provisioning→provisioned', 'status:provisioned→updating', `package:standard→premium`, `user_id:${created.body.userId}→${newUserId}`]);
    assert.ok(history.body.items.every((h: any) => typeof h.at === 'string'));
  });

  test('P12: remove answers 204; the subscriber is gone, its history stays; the person remains (free user)', async () => {
    const created = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId));
    await waitForStatus(t, created.body.id, ['provisioned']);
    const removed = await t.api('DELETE', `/v1/broadworks/subscribers/${created.body.id}`);
    assert.equal(removed.status, 204);
    expectError(await t.api('GET', `/v1/broadworks/subscribers/${created.body.id}`), 404, 1006);
    expectError(await t.api('DELETE', `/v1/broadworks/subscribers/${created.body.id}`), 404, 1006);
    const uuid = Buffer.from(created.body.id, 'base64url').toString().split('/').pop();
    const history = await t.api('GET', `/api/v1/partner/subscribers/${uuid}/history`);
    assert.equal(history.body.items.at(-1).change, 'removed');
    // The same BroadWorks user provisioned again reuses the free Webex user of the same org.
    const again = await t.api('POST', '/v1/broadworks/subscribers', { ...subscriberBody(provisioningId), userId: created.body.userId, email: created.body.email });
    assert.equal((await waitForStatus(t, again.body.id, ['provisioned', 'error'])).status, 'provisioned');
  });

  test('precheck: success with infoCode 100; conflicts answered with their codes; partner full admin only', async () => {
    const ok = await t.api('POST', '/v1/broadworks/subscribers/validate', { email: 'fresh@acme.example', provisioningId, userId: 'fresh@sp.example', spEnterpriseId: 'SP1+first' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    contract?.precheck(ok.body);
    assert.equal(ok.body.info.infoCode, 100);
    const taken = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId));
    expectError(await t.api('POST', '/v1/broadworks/subscribers/validate', { email: 'x@acme.example', userId: taken.body.userId }), 409, 10022, 'userId');
    expectError(await t.api('POST', '/v1/broadworks/subscribers/validate', { email: taken.body.email }), 409, 10023, 'email');
    expectError(await t.api('POST', '/v1/broadworks/subscribers/validate', { userId: 'a@b' }), 400, 1001, 'email');
    const sales = await t.tokenFor('sales_full_admin');
    expectError(await t.api('POST', '/v1/broadworks/subscribers/validate', { email: 'y@acme.example' }, { token: sales }), 403, 1403);
  });

  test('P5/P9: untrusted template leaves users pending email input; retry with a valid email provisions them; status view and CSV', async () => {
    const { template } = await createClusterAndTemplate(t, { template: { trustedEmails: false } });
    const pending = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'SP3+untrusted', email: undefined }));
    assert.equal(pending.status, 200, JSON.stringify(pending.body));
    assert.equal(pending.body.status, 'pending_email_input');
    const good = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'SP3+untrusted', firstName: '=cmd', email: undefined }));

    const view = await t.api('GET', `/api/v1/partner/templates/${template.id}/users`);
    assert.equal(view.body.total, 2);
    const uuid = view.body.items.find((r: any) => r.userId === good.body.userId).id;
    const retried = await t.api('POST', `/api/v1/partner/subscribers/${uuid}/retry`, { email: 'validated@untrusted.example' });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.status, 'provisioning');
    await waitForStatus(t, good.body.id, ['provisioned']);

    const excl = await t.api('GET', `/api/v1/partner/templates/${template.id}/users?excludeProvisioned=true`);
    assert.deepEqual(excl.body.items.map((r: any) => r.status), ['pending_email_input']);
    const csv = await fetch(`${t.url}/api/v1/partner/templates/${template.id}/users.csv`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    assert.equal(lines[0], 'userId,firstName,lastName,email,spEnterpriseId,package,status,errorCode,errorText,selfActivated,lastStatusChange');
    assert.equal(lines.length, 3);
    assert.ok(lines.some((l) => l.includes("'=cmd")), 'formula-looking cells are defused');
    const csvExcl = await fetch(`${t.url}/api/v1/partner/templates/${template.id}/users.csv?excludeProvisioned=true`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    assert.equal((await csvExcl.text()).trim().split('\r\n').length, 2);

    // Change package from the status view: asynchronous, like the API.
    const changed = await t.api('POST', `/api/v1/partner/subscribers/${uuid}/package`, { package: 'softphone' });
    assert.equal(changed.body.status, 'updating');
    await waitFor('package applied', async () => (await t.api('GET', `/v1/broadworks/subscribers/${good.body.id}`)).body.package === 'softphone');
  });
});
