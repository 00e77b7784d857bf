import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from './partner.area.ts';
import { bridgePath } from './flow-through.routes.ts';
import { getPartnerLab, type PartnerLab } from './partner.lab.ts';
import { waitFor, waitForStatus, subscriberBody } from './partner.testkit.ts';
import { insertWebexOrg } from './partner.repository.ts';

// S2 + P2 (flow-through, trusted emails) + P1: the Lab's BroadWorks AS turns Integrated IM&P on and
// off, its provisioning adapter calls our Provisioning Bridge with the template's account.
describe('flow-through provisioning from the Lab BroadWorks AS', () => {
  let t: TestSwitchboard;
  let lab: PartnerLab;
  const find = async (userId: string) => (await t.api('GET', `/v1/broadworks/subscribers?userId=${encodeURIComponent(userId)}`)).body.items[0];

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { lab: 'true', jobPollSeconds: 0.5 } });
    lab = getPartnerLab(t.sb.services)!;
    assert.ok(lab, 'the Lab started with the area');
  });
  after(async () => t?.close());

  test('the Lab seeds a demo cluster (pointing at the simulated AS) and template', async () => {
    const clusters = await t.api('GET', '/api/v1/partner/clusters');
    const cluster = clusters.body.items.find((c: any) => c.name === 'Lab BroadWorks');
    assert.ok(cluster.xsiActionsUrl.startsWith(lab.broadworks.baseUrl));
    assert.equal((await fetch(cluster.xsiActionsUrl)).status, 200);
    const check = await t.api('POST', `/api/v1/partner/clusters/${cluster.id}/check`);
    assert.equal(check.status, 200, JSON.stringify(check.body));
    assert.equal(check.body.ok, true, JSON.stringify(check.body));
    assert.deepEqual(check.body.interfaces.map((i: any) => i.name), ['xsiActions', 'xsiEvents', 'authService']);
    // An interface that does not answer is reported, with its error.
    const broken = await t.api('POST', '/api/v1/partner/clusters', { name: 'Broken', xsiActionsUrl: `${lab.broadworks.baseUrl}/nothing/v2.0/`, xsiEventsUrl: 'http://127.0.0.1:1/com.broadsoft.xsi-events/v2.0/', authServiceUrl: `${lab.broadworks.baseUrl}/authService` });
    const brokenCheck = await t.api('POST', `/api/v1/partner/clusters/${broken.body.id}/check`);
    assert.equal(brokenCheck.body.ok, false);
    assert.deepEqual(brokenCheck.body.interfaces.map((i: any) => i.ok), [false, false, true]);
    assert.match(brokenCheck.body.interfaces[0].error, /404/);
    const state = await t.api('GET', '/api/v1/partner/lab/broadworks');
    assert.equal(state.status, 200);
    assert.ok(state.body.state.users.length >= 5);
    assert.equal(JSON.stringify(state.body).includes('bw-password'), false, 'user passwords stay in the AS');
    const directory = await t.api('GET', '/api/v1/partner/lab/webex-orgs');
    assert.deepEqual(directory.body.items.map((o: any) => o.name), ['Lab Big Existing Inc', 'Lab Small Existing Co']);
  });

  test('P2/P1: IM&P on → flow-through add → provisioning → provisioned; first user of the enterprise creates the org', async () => {
    const on = await t.api('PUT', '/api/v1/partner/lab/broadworks/users/alice@acme.lab/integrated-imp', { isActive: true });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal(on.body.status, 200, on.body.response);
    assert.match(on.body.response, /<status>accepted<\/status>/);
    const alice = await waitFor('alice', () => find('alice@acme.lab'));
    assert.equal(alice.spEnterpriseId, 'LabSP+acme');
    assert.equal(alice.package, 'standard', 'the template default package');
    assert.equal(alice.email, 'alice@acme.lab.example');
    assert.equal((await waitForStatus(t, alice.id, ['provisioned', 'error'])).status, 'provisioned');

    await lab.broadworks.setIntegratedImp('bob@acme.lab', true);
    const bob = await waitFor('bob', () => find('bob@acme.lab'));
    await waitForStatus(t, bob.id, ['provisioned']);
    const orgs = (await t.api('GET', '/api/v1/partner/customers')).body.items.filter((c: any) => c.spEnterpriseId === 'LabSP+acme');
    assert.equal(orgs.length, 1);
    assert.equal(orgs[0].packages.standard, 2);
    const log = lab.broadworks.psLog.filter((e) => e.action === 'add');
    assert.deepEqual(log.map((e) => e.userId), ['alice@acme.lab', 'bob@acme.lab']);
  });

  test('a profile change on the AS is synchronised (modify → updating → provisioned); IM&P off removes the subscriber', async () => {
    await lab.broadworks.setIntegratedImp('dave@globex.lab', true);
    const dave = await waitFor('dave', () => find('dave@globex.lab'));
    await waitForStatus(t, dave.id, ['provisioned']);
    const modified = await lab.broadworks.modifyUser('dave@globex.lab', { lastName: 'Renamed' });
    assert.equal(modified?.status, 200, modified?.response);
    await waitFor('renamed', async () => (await t.api('GET', `/v1/broadworks/subscribers/${dave.id}`)).body.lastName === 'Renamed');

    const off = await lab.broadworks.setIntegratedImp('dave@globex.lab', false);
    assert.equal(off?.status, 200, off?.response);
    assert.equal((await t.api('GET', `/v1/broadworks/subscribers/${dave.id}`)).status, 404);
  });

  test('the bridge refuses a wrong provisioning account and malformed requests, in XML with tracking IDs', async () => {
    lab.broadworks.addServiceProvider({ id: 'BadSP', imp: { provisioningUrl: bridgePath(lab.provisioningId), provisioningUserId: 'lab-provisioning', provisioningPassword: 'wrong' } });
    lab.broadworks.addGroup('BadSP', 'g');
    lab.broadworks.addUser({ userId: 'eve@bad.lab', serviceProviderId: 'BadSP', groupId: 'g', firstName: 'Eve', lastName: 'Bad', email: 'eve@bad.example', phoneNumber: '+1-555-9999', password: 'x' });
    const refused = await lab.broadworks.setIntegratedImp('eve@bad.lab', true);
    assert.equal(refused?.status, 401);
    assert.match(refused!.response, /<errorCode>1401<\/errorCode>/);
    assert.match(refused!.response, /<trackingId>SB_/);
    assert.equal(await find('eve@bad.lab'), undefined);

    const sp = lab.broadworks.serviceProviders.get('LabSP')!.imp!;
    const auth = `Basic ${Buffer.from(`${sp.provisioningUserId}:${sp.provisioningPassword}`).toString('base64')}`;
    const post = (body: string) => fetch(`${t.url}${bridgePath(lab.provisioningId)}`, { method: 'POST', headers: { 'content-type': 'application/xml', authorization: auth }, body });
    const malformed = await post('<provisioningRequest><user action="add">');
    assert.equal(malformed.status, 400);
    const missing = await post('<provisioningRequest version="1.0"><user action="add"><serviceProviderId>LabSP</serviceProviderId><groupId>acme</groupId></user></provisioningRequest>');
    assert.equal(missing.status, 400);
    const text = await missing.text();
    assert.match(text, /<errorCode>1001<\/errorCode>/);
    assert.match(text, /<fieldName>userId<\/fieldName>/);
    const unknownTemplate = await fetch(`${t.url}${bridgePath('nope')}`, { method: 'POST', headers: { 'content-type': 'application/xml', authorization: auth }, body: '<x/>' });
    assert.equal(unknownTemplate.status, 401);
  });

  test('P2 untrusted: IM&P on → pending_email_input → activation text → email entered → validation email over SMTP → clicked → provisioned', async () => {
    const clusters = await t.api('GET', '/api/v1/partner/clusters');
    const cluster = clusters.body.items.find((c: any) => c.name === 'Lab BroadWorks');
    const created = await t.api('POST', '/api/v1/partner/templates', { name: 'Untrusted', clusterId: cluster.id, provisioningAccount: 'untrusted-prov', provisioningPassword: 'untrusted-secret', partnerAdminEmail: 'pa@lab.example', trustedEmails: false, defaultPackage: 'basic' });
    assert.equal(created.status, 201);
    lab.broadworks.addServiceProvider({ id: 'OpenSP', imp: { provisioningUrl: bridgePath(created.body.provisioningId), provisioningUserId: 'untrusted-prov', provisioningPassword: 'untrusted-secret' } });
    lab.broadworks.addGroup('OpenSP', 'shop');
    lab.broadworks.addUser({ userId: 'ivan@shop.lab', serviceProviderId: 'OpenSP', groupId: 'shop', firstName: 'Ivan', lastName: 'Shop', phoneNumber: '+359-2-555-0101', mobilePhoneNumber: '+359-88-555-0101', password: 'x' });
    const sent = await lab.broadworks.setIntegratedImp('ivan@shop.lab', true);
    assert.equal(sent?.status, 200, sent?.response);
    const ivan = await waitFor('ivan', () => find('ivan@shop.lab'));
    assert.equal(ivan.status, 'pending_email_input');
    assert.equal(ivan.email, undefined);

    const texts = (await t.api('GET', '/api/v1/partner/lab/messages')).body.texts.filter((m: any) => m.to === '+359-88-555-0101');
    assert.equal(texts.length, 1);
    const activate = /(http\S+\/activate\/\S+)/.exec(texts[0].text)![1]!;
    const form = await fetch(activate);
    assert.equal(form.status, 200);
    assert.match(await form.text(), /<form method="post">/);
    const entered = await fetch(activate, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=ivan%40shop.example' });
    assert.equal(entered.status, 200, await entered.clone().text());
    assert.equal((await t.api('GET', `/v1/broadworks/subscribers/${ivan.id}`)).body.status, 'pending_email_validation');

    const mail = await waitFor('validation email', async () => lab.mail.to('ivan@shop.example')[0]);
    assert.equal(mail.subject, 'Validate your email address for Webex');
    assert.equal(mail.from, 'no-reply@switchboard.lab');
    const validate = /(http\S+\/activate\/validate\/\S+)/.exec(mail.text)![1]!;
    const clicked = await fetch(validate);
    assert.equal(clicked.status, 200);
    const done = await waitForStatus(t, ivan.id, ['provisioned', 'error']);
    assert.equal(done.status, 'provisioned', JSON.stringify(done));
    assert.equal(done.email, 'ivan@shop.example');
    // The link is used up; a forged token is refused.
    assert.equal((await fetch(validate)).status, 409);
    assert.equal((await fetch(`${t.url}/activate/${'x'.repeat(40)}`)).status, 404);
    const listed = (await t.api('GET', '/api/v1/partner/lab/messages')).body.emails.map((m: any) => m.to[0]);
    assert.ok(listed.includes('ivan@shop.example'));
  });

  test('P2 self-activation: the template link, BroadWorks sign-in checked by the cluster auth service, email validation, provisioned as selfActivated', async () => {
    const clusters = await t.api('GET', '/api/v1/partner/clusters');
    const cluster = clusters.body.items.find((c: any) => c.name === 'Lab BroadWorks');
    const tpl = await t.api('POST', '/api/v1/partner/templates', { name: 'Self', clusterId: cluster.id, provisioningAccount: 'self-prov', provisioningPassword: 'self-secret', partnerAdminEmail: 'pa@lab.example', allowSelfActivation: true, defaultPackage: 'premium' });
    const closed = await t.api('POST', '/api/v1/partner/templates', { name: 'NoSelf', clusterId: cluster.id, provisioningAccount: 'x', provisioningPassword: 'noself-secret', partnerAdminEmail: 'pa@lab.example' });
    const link = `${t.url}/self-activate/${encodeURIComponent(tpl.body.provisioningId)}`;
    assert.equal((await fetch(link)).status, 200);
    assert.equal((await fetch(`${t.url}/self-activate/${encodeURIComponent(closed.body.provisioningId)}`)).status, 404);
    const form = (fields: Record<string, string>) => fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

    // Not a user of this template's BroadWorks system (or a wrong password): refused, nothing created.
    assert.equal((await form({ userId: 'mallory@elsewhere.example', password: 'whatever', email: 'm@elsewhere.example' })).status, 401);
    assert.equal((await form({ userId: 'frank@initech.lab', password: 'wrong', email: 'frank@initech.example' })).status, 401);
    assert.equal(await find('frank@initech.lab'), undefined);

    const ok = await form({ userId: 'frank@initech.lab', password: 'frank-bw-password', email: 'frank@initech.example' });
    assert.equal(ok.status, 200, await ok.clone().text());
    const frank = await find('frank@initech.lab');
    assert.equal(frank.status, 'pending_email_validation');
    assert.equal(frank.selfActivated, true);
    assert.equal(frank.package, 'premium');
    assert.equal(frank.spEnterpriseId, 'LabSP+initech');
    const mail = await waitFor('validation email', async () => lab.mail.to('frank@initech.example')[0]);
    const validate = /(http\S+\/activate\/validate\/\S+)/.exec(mail.text)![1]!;
    assert.equal((await fetch(validate)).status, 200);
    assert.equal((await waitForStatus(t, frank.id, ['provisioned', 'error'])).status, 'provisioned');
    const selfListed = await t.api('GET', `/v1/broadworks/subscribers?selfActivated=true&provisioningId=${encodeURIComponent(tpl.body.provisioningId)}`);
    assert.deepEqual(selfListed.body.items.map((x: any) => x.userId), ['frank@initech.lab']);
  });

  test('P7: attaching to an existing org — automatic for a small one (keeps its name, not restricted, first user not admin); 2017 + approval email to five admins for a large one, then retry succeeds', async () => {
    const db = t.sb.services.database.db;
    const small = crypto.randomUUID();
    await insertWebexOrg(db, { id: small, name: 'Small Existing Co', userCount: 10, userEmails: ['Zoe@small.example'], adminEmails: ['boss@small.example'], licences: 'none', createdAt: new Date() });
    const admins = Array.from({ length: 7 }, (_, i) => `admin${i}@big.example`);
    const big = crypto.randomUUID();
    await insertWebexOrg(db, { id: big, name: 'Big Existing Inc', userCount: 150, userEmails: ['yan@big.example'], adminEmails: admins, verifiedDomains: ['big.example'], createdAt: new Date() });

    const zoe = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(lab.provisioningId, { spEnterpriseId: 'LabSP+small', email: 'zoe@small.example' }));
    assert.equal(zoe.status, 200, JSON.stringify(zoe.body));
    assert.equal((await waitForStatus(t, zoe.body.id, ['provisioned', 'error'])).status, 'provisioned');
    const smallOrg = (await t.api('GET', '/api/v1/partner/customers')).body.items.find((c: any) => c.spEnterpriseId === 'LabSP+small');
    assert.equal(smallOrg.displayName, 'Small Existing Co');
    assert.equal(smallOrg.restricted, false);
    const jobs = await t.api('GET', '/api/v1/jobs?queue=partner.provision-subscriber&limit=500');
    const zoeJob = jobs.body.items.find((j: any) => j.result?.customerOrgId === smallOrg.id);
    assert.equal(zoeJob.result.attached, true);
    assert.equal(zoeJob.result.admin, false);

    const yan = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(lab.provisioningId, { spEnterpriseId: 'LabSP+big', email: 'yan@big.example' }));
    const failed = await waitForStatus(t, yan.body.id, ['provisioned', 'error']);
    assert.equal(failed.status, 'error');
    assert.equal(failed.errors[0].errorCode, 2017);
    const request = await waitFor('approval email', async () => lab.mail.messages.find((m) => m.subject.includes('Big Existing Inc')));
    assert.deepEqual(request.to, admins.slice(0, 5), 'up to five administrators');
    assert.match(request.subject, /partner\.admin@lab\.example/);
    assert.equal((await t.api('GET', '/api/v1/partner/customers')).body.items.some((c: any) => c.spEnterpriseId === 'LabSP+big'), false);

    const approve = /(http\S+\/attach-approval\/\S+)/.exec(request.text)![1]!;
    assert.equal((await fetch(approve)).status, 200);
    const uuid = Buffer.from(yan.body.id, 'base64url').toString().split('/').pop();
    const retried = await t.api('POST', `/api/v1/partner/subscribers/${uuid}/retry`, {});
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal((await waitForStatus(t, yan.body.id, ['provisioned', 'error'])).status, 'provisioned');
    const bigOrg = (await t.api('GET', '/api/v1/partner/customers')).body.items.find((c: any) => c.spEnterpriseId === 'LabSP+big');
    assert.equal(bigOrg.displayName, 'Big Existing Inc');
    assert.equal(lab.mail.messages.filter((m) => m.subject.includes('Big Existing Inc')).length, 1, 'the request is sent once');
  });
});
