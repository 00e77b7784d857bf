import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { systemActor } from '../platform/auth/actor.ts';
import { defineJob } from '../platform/jobs/define-job.ts';
import { partnerArea } from './partner.area.ts';
import { bridgePath } from './flow-through.routes.ts';
import { getPartnerLab, type PartnerLab } from './partner.lab.ts';
import { subscriberBody, waitFor, waitForStatus } from './partner.testkit.ts';
import { insertIdentity } from './user-migration.repository.ts';
import { userMigrations } from './user-migration.schema.ts';

// P6: existing Webex accounts (consumer, free, trial) moved into customer orgs. The first user of a
// new org is moved without consent and becomes its admin; later users consent by email (sign in,
// delete the old account) — through every provisioning flow: API, flow-through trusted and
// untrusted, self-activation. Declining and expiry leave a clear error.
describe('P6 moving existing Webex users in, with consent', () => {
  let t: TestSwitchboard;
  let lab: PartnerLab;
  let clusterId: string;
  const find = async (userId: string) => (await t.api('GET', `/v1/broadworks/subscribers?userId=${encodeURIComponent(userId)}`)).body.items[0];
  const uuid = (id: string) => Buffer.from(id, 'base64url').toString().split('/').pop()!;
  const consentLink = async (email: string, nth = 1) => {
    const mail = await waitFor(`consent email ${nth} to ${email}`, async () => lab.mail.to(email).filter((m) => m.subject === 'Move your Webex account to your service provider')[nth - 1]);
    return /(http\S+\/move-account\/\S+)/.exec(mail.text)![1]!;
  };
  const answer = (link: string, fields: Record<string, string>) => fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  const identity = async (email: string) => (await t.api('GET', '/api/v1/partner/lab/webex-identities')).body.items.find((i: any) => i.email === email);
  const addIdentity = async (email: string, kind: string, password: string) =>
    insertIdentity(t.sb.services.database.db, { id: crypto.randomUUID(), email, displayName: 'Old Account', kind, passwordHash: await hash(password), createdAt: new Date() });
  const validateEmail = async (email: string) => {
    const mail = await waitFor(`validation email to ${email}`, async () => lab.mail.to(email).find((m) => m.subject === 'Validate your email address for Webex'));
    assert.equal((await fetch(/(http\S+\/activate\/validate\/\S+)/.exec(mail.text)![1]!)).status, 200);
  };

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { lab: 'true', jobPollSeconds: 0.5 } });
    lab = getPartnerLab(t.sb.services)!;
    clusterId = (await t.api('GET', '/api/v1/partner/clusters')).body.items.find((c: any) => c.name === 'Lab BroadWorks').id;
  });
  after(async () => t?.close());

  test('flow-through, trusted: the first user (consumer account) is moved and made admin; a later trial user consents, signs in, deletes the old account, is provisioned', async () => {
    assert.deepEqual(
      (await t.api('GET', '/api/v1/partner/lab/webex-identities')).body.items.map((i: any) => [i.email, i.kind, i.state]),
      [['erin@globex.lab.example', 'free', 'active'], ['frank@initech.lab.example', 'consumer', 'active'], ['grace@initech.lab.example', 'trial', 'active'], ['walter@freemail.lab.example', 'free', 'active']],
    );
    await lab.broadworks.setIntegratedImp('frank@initech.lab', true);
    const frank = await waitFor('frank', () => find('frank@initech.lab'));
    assert.equal((await waitForStatus(t, frank.id, ['provisioned', 'error', 'pending_user_migration'])).status, 'provisioned');
    const moved = await identity('frank@initech.lab.example');
    assert.equal(moved.state, 'moved');
    const org = (await t.api('GET', '/api/v1/partner/customers')).body.items.find((c: any) => c.spEnterpriseId === 'LabSP+initech');
    assert.equal(moved.movedToOrgId, org.id);
    const people = (await t.api('GET', `/api/v1/partner/customers/${org.id}/users`)).body.items;
    assert.equal(people.find((p: any) => p.email === 'frank@initech.lab.example').isAdmin, true);
    assert.equal(lab.mail.to('frank@initech.lab.example').length, 0, 'no consent email for the first user');

    await lab.broadworks.setIntegratedImp('grace@initech.lab', true);
    const grace = await waitFor('grace', () => find('grace@initech.lab'));
    const waiting = await waitForStatus(t, grace.id, ['pending_user_migration', 'provisioned', 'error']);
    assert.equal(waiting.status, 'pending_user_migration');
    assert.equal(waiting.personId, undefined);
    const why = await t.api('GET', `/api/v1/partner/subscribers/${uuid(grace.id)}/waiting`);
    assert.equal(why.body.migration.state, 'pending');
    assert.equal(why.body.migration.email, 'grace@initech.lab.example');

    const link = await consentLink('grace@initech.lab.example');
    const page = await fetch(link);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Delete old account and move/);
    const wrong = await answer(link, { action: 'accept', password: 'not-it' });
    assert.equal(wrong.status, 401);
    assert.equal((await t.api('GET', `/v1/broadworks/subscribers/${grace.id}`)).body.status, 'pending_user_migration');
    const accepted = await answer(link, { action: 'accept', password: 'grace-webex-password' });
    assert.equal(accepted.status, 200, await accepted.clone().text());
    const done = await waitForStatus(t, grace.id, ['provisioned', 'error']);
    assert.equal(done.status, 'provisioned', JSON.stringify(done));
    assert.equal(done.email, 'grace@initech.lab.example', 'provisioned with the same email');
    assert.equal((await identity('grace@initech.lab.example')).state, 'moved');
    assert.equal((await answer(link, { action: 'accept', password: 'grace-webex-password' })).status, 409, 'the link is used up');
  });

  test('API: declining leaves error 10030 with a clear text; Retry onboarding sends the consent email again; accepting then provisions', async () => {
    const created = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(lab.provisioningId, { spEnterpriseId: 'LabSP+initech', email: 'walter@freemail.lab.example' }));
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.status, 'provisioning', 'the request only starts provisioning');
    assert.equal((await waitForStatus(t, created.body.id, ['pending_user_migration', 'provisioned', 'error'])).status, 'pending_user_migration');
    const declined = await answer(await consentLink('walter@freemail.lab.example'), { action: 'decline' });
    assert.equal(declined.status, 200);
    const failed = (await t.api('GET', `/v1/broadworks/subscribers/${created.body.id}`)).body;
    assert.equal(failed.status, 'error');
    assert.equal(failed.errors[0].errorCode, 10030);
    assert.match(failed.errors[0].description, /declined to move their existing Webex account \(free, walter@freemail\.lab\.example\)/);
    assert.equal((await identity('walter@freemail.lab.example')).state, 'active', 'the old account is untouched');

    const retried = await t.api('POST', `/api/v1/partner/subscribers/${uuid(created.body.id)}/retry`, {});
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal((await waitForStatus(t, created.body.id, ['pending_user_migration', 'provisioned'])).status, 'pending_user_migration');
    const second = await consentLink('walter@freemail.lab.example', 2);
    assert.equal((await answer(second, { action: 'accept', password: 'walter-webex-password' })).status, 200);
    assert.equal((await waitForStatus(t, created.body.id, ['provisioned', 'error'])).status, 'provisioned');
  });

  test('flow-through, untrusted: the email the user enters and validates belongs to a free account → consent → provisioned', async () => {
    const tpl = await t.api('POST', '/api/v1/partner/templates', { name: 'Untrusted moves', clusterId, provisioningAccount: 'mv-prov', provisioningPassword: 'mv-secret', partnerAdminEmail: 'pa@lab.example', trustedEmails: false });
    assert.equal(tpl.status, 201);
    lab.broadworks.addServiceProvider({ id: 'MoveSP', imp: { provisioningUrl: bridgePath(tpl.body.provisioningId), provisioningUserId: 'mv-prov', provisioningPassword: 'mv-secret' } });
    lab.broadworks.addGroup('MoveSP', 'shop');
    for (const [name, mobile] of [['una', '+359-88-555-0201'], ['vic', '+359-88-555-0202']] as const) {
      lab.broadworks.addUser({ userId: `${name}@shop.lab`, serviceProviderId: 'MoveSP', groupId: 'shop', firstName: name, lastName: 'Shop', phoneNumber: `+359-2-555-0${name === 'una' ? 201 : 202}`, mobilePhoneNumber: mobile, password: 'x' });
    }
    await addIdentity('vic@oldwebex.example', 'free', 'vic-old-password');
    const activate = async (userId: string, mobile: string, email: string) => {
      await lab.broadworks.setIntegratedImp(userId, true);
      const sub = await waitFor(userId, () => find(userId));
      assert.equal(sub.status, 'pending_email_input');
      const text = await waitFor('activation text', async () => (await t.api('GET', '/api/v1/partner/lab/messages')).body.texts.find((m: any) => m.to === mobile));
      const link = /(http\S+\/activate\/\S+)/.exec(text.text)![1]!;
      assert.equal((await answer(link, { email })).status, 200);
      await validateEmail(email);
      return sub;
    };
    const una = await activate('una@shop.lab', '+359-88-555-0201', 'una@shop.example');
    assert.equal((await waitForStatus(t, una.id, ['provisioned', 'error'])).status, 'provisioned');
    const vic = await activate('vic@shop.lab', '+359-88-555-0202', 'vic@oldwebex.example');
    assert.equal((await waitForStatus(t, vic.id, ['pending_user_migration', 'provisioned', 'error'])).status, 'pending_user_migration');
    assert.equal((await answer(await consentLink('vic@oldwebex.example'), { action: 'accept', password: 'vic-old-password' })).status, 200);
    const done = await waitForStatus(t, vic.id, ['provisioned', 'error']);
    assert.equal(done.status, 'provisioned');
    assert.equal(done.email, 'vic@oldwebex.example');
  });

  test('self-activation: the email a self-activating user validates belongs to a trial account → consent → provisioned, selfActivated', async () => {
    const tpl = await t.api('POST', '/api/v1/partner/templates', { name: 'Self moves', clusterId, provisioningAccount: 'sm', provisioningPassword: 'sm-secret', partnerAdminEmail: 'pa@lab.example', allowSelfActivation: true });
    lab.broadworks.addGroup('LabSP', 'selfco');
    for (const name of ['sam', 'tia']) lab.broadworks.addUser({ userId: `${name}@selfco.lab`, serviceProviderId: 'LabSP', groupId: 'selfco', firstName: name, lastName: 'Self', phoneNumber: `+1-555-07${name.length}${name.charCodeAt(0)}`, password: `${name}-bw-password` });
    await addIdentity('tia@trial.example', 'trial', 'tia-old-password');
    const selfActivate = async (name: string, email: string) => {
      const res = await answer(`${t.url}/self-activate/${encodeURIComponent(tpl.body.provisioningId)}`, { userId: `${name}@selfco.lab`, password: `${name}-bw-password`, email });
      assert.equal(res.status, 200, await res.clone().text());
      await validateEmail(email);
      return find(`${name}@selfco.lab`);
    };
    const sam = await selfActivate('sam', 'sam@selfco.example');
    assert.equal((await waitForStatus(t, sam.id, ['provisioned', 'error'])).status, 'provisioned');
    const tia = await selfActivate('tia', 'tia@trial.example');
    assert.equal((await waitForStatus(t, tia.id, ['pending_user_migration', 'provisioned', 'error'])).status, 'pending_user_migration');
    assert.equal((await answer(await consentLink('tia@trial.example'), { action: 'accept', password: 'tia-old-password' })).status, 200);
    const done = await waitForStatus(t, tia.id, ['provisioned', 'error']);
    assert.equal(done.status, 'provisioned');
    assert.equal(done.selfActivated, true);
  });

  test('expiry: an expired consent link, and the sweeper job, end the wait with error 10031', async () => {
    const db = t.sb.services.database.db;
    const pending = async (email: string) => {
      await addIdentity(email, 'consumer', 'pw');
      const res = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(lab.provisioningId, { spEnterpriseId: 'LabSP+initech', email }));
      assert.equal((await waitForStatus(t, res.body.id, ['pending_user_migration', 'provisioned', 'error'])).status, 'pending_user_migration');
      // Seven days go by (the consent window), as far as this move is concerned.
      await db.update(userMigrations).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(userMigrations.subscriberId, uuid(res.body.id)));
      return res.body.id as string;
    };
    const opened = await pending('late.opener@example.org');
    const link = await consentLink('late.opener@example.org');
    const page = await fetch(link);
    assert.equal(page.status, 409);
    assert.match(await page.text(), /expired: your account was not moved/);
    const expired = (await t.api('GET', `/v1/broadworks/subscribers/${opened}`)).body;
    assert.equal(expired.status, 'error');
    assert.equal(expired.errors[0].errorCode, 10031);
    assert.match(expired.errors[0].description, /did not answer .* within 7 days/);

    const silent = await pending('never.answers@example.org');
    const sweep = defineJob({ queue: 'partner.expire-user-migrations', input: z.object({}), title: () => 'sweep', run: async () => null });
    await t.sb.services.jobs.send(sweep, {}, { actor: systemActor('test') });
    const swept = await waitForStatus(t, silent, ['error']);
    assert.equal(swept.errors[0].errorCode, 10031);
  });
});
