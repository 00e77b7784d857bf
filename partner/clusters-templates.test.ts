import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from './partner.area.ts';
import { customerOrgs, customerTemplates } from './partner.schema.ts';
import { createClusterAndTemplate, subscriberBody } from './partner.testkit.ts';

// P3 templates and P4 clusters: their rules, secrets and audit, through the console API.
describe('BroadWorks clusters and customer templates', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea] });
  });
  after(async () => t?.close());

  const cluster = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    xsiActionsUrl: 'https://xsp1.example.com/com.broadsoft.xsi-actions/v2.0/',
    xsiEventsUrl: 'https://xsp1.example.com/com.broadsoft.xsi-events/v2.0/',
    authServiceUrl: 'https://xsp1.example.com/authService',
    ...extra,
  });

  test('P4: XSI URLs must end in /v2.0/; names are unique', async () => {
    const bad = await t.api('POST', '/api/v1/partner/clusters', cluster('bad', { xsiActionsUrl: 'https://xsp1.example.com/com.broadsoft.xsi-actions/v2.0' }));
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /\/v2\.0\//);
    assert.equal(bad.body.error.details.field, 'xsiActionsUrl');
    const badEvents = await t.api('POST', '/api/v1/partner/clusters', cluster('bad2', { xsiEventsUrl: 'https://xsp1.example.com/events/' }));
    assert.equal(badEvents.status, 400);
    const good = await t.api('POST', '/api/v1/partner/clusters', cluster('alpha'));
    assert.equal(good.status, 201);
    assert.equal((await t.api('POST', '/api/v1/partner/clusters', cluster('alpha'))).status, 409);
    const patchBad = await t.api('PATCH', `/api/v1/partner/clusters/${good.body.id}`, { xsiEventsUrl: 'https://xsp2.example.com/v1.0/' });
    assert.equal(patchBad.status, 400);
  });

  test('P4: a cluster with templates cannot be deleted; without, it can', async () => {
    const { cluster: c, template } = await createClusterAndTemplate(t);
    const refused = await t.api('DELETE', `/api/v1/partner/clusters/${c.id}`);
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /template/);
    assert.equal((await t.api('DELETE', `/api/v1/partner/templates/${template.id}`)).status, 204);
    assert.equal((await t.api('DELETE', `/api/v1/partner/clusters/${c.id}`)).status, 204);
    assert.equal((await t.api('GET', `/api/v1/partner/clusters/${c.id}`)).status, 404);
  });

  test('P4: with more than 50 customers, XSI/DAS/XSP and sync edits are refused; other edits pass; toggles are one-way', async () => {
    const { cluster: c, template } = await createClusterAndTemplate(t);
    const db = t.sb.services.database.db;
    const addCustomers = async (n: number, from: number) => {
      for (let i = from; i < from + n; i += 1) {
        await db.insert(customerOrgs).values({ id: crypto.randomUUID(), spEnterpriseId: `SPX+big${i}-${c.id}`, templateId: template.id, displayName: `big${i}`, createdAt: new Date() });
      }
    };
    await addCustomers(50, 0);
    // 50 is still allowed ("more than 50" is the limit).
    const at50 = await t.api('PATCH', `/api/v1/partner/clusters/${c.id}`, { dasUrl: 'https://das.example.com/DeviceManagement/' });
    assert.equal(at50.status, 200, JSON.stringify(at50.body));
    await addCustomers(1, 50);
    assert.equal((await t.api('GET', `/api/v1/partner/clusters/${c.id}`)).body.customers, 51);
    for (const patch of [
      { xsiActionsUrl: 'https://xsp9.example.com/com.broadsoft.xsi-actions/v2.0/' },
      { xsiEventsUrl: 'https://xsp9.example.com/com.broadsoft.xsi-events/v2.0/' },
      { dasUrl: 'https://das2.example.com/' },
      { xspAdpUrl: 'https://adp.example.com/' },
      { dndSync: true },
      { paStatusSync: true },
    ]) {
      const res = await t.api('PATCH', `/api/v1/partner/clusters/${c.id}`, patch);
      assert.equal(res.status, 409, JSON.stringify(patch));
      assert.match(res.body.error.message, /more than 50.*TAC/);
    }
    const rename = await t.api('PATCH', `/api/v1/partner/clusters/${c.id}`, { name: `${c.name}-renamed`, callHistory: true });
    assert.equal(rename.status, 200);
    const off = await t.api('PATCH', `/api/v1/partner/clusters/${c.id}`, { callHistory: false });
    assert.equal(off.status, 409);
    assert.match(off.body.error.message, /one-way/);
  });

  test('P3: template settings and defaults; provisioning password sealed, never returned, kept when blank on edit; audited', async () => {
    const { template } = await createClusterAndTemplate(t, { template: { defaultPackage: 'premium', prefillEmail: true, provisionAdminFirst: true } });
    assert.equal(template.provisionExistingOrgs, true, 'provision existing orgs is on by default');
    assert.equal(template.trustedEmails, true);
    assert.equal(template.disableFreeCalling, false);
    assert.equal(template.defaultPackage, 'premium');
    assert.match(template.provisioningId, /^[0-9a-f-]{36}:[0-9a-f-]{36}$/);
    assert.equal(JSON.stringify(template).includes('prov-secret-1'), false);
    assert.equal('provisioningPassword' in template, false);

    const db = t.sb.services.database.db;
    const stored = async () => (await db.select().from(customerTemplates).where(eq(customerTemplates.id, template.id)))[0]!;
    const sealed = (await stored()).provisioningPassword;
    assert.notEqual(sealed, 'prov-secret-1');
    assert.equal(t.sb.services.secrets.open(sealed), 'prov-secret-1');

    const edited = await t.api('PATCH', `/api/v1/partner/templates/${template.id}`, { provisioningPassword: '', disableFreeCalling: true, partnerAdminEmail: 'new.admin@partner.example' });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.equal(edited.body.disableFreeCalling, true);
    assert.equal(t.sb.services.secrets.open((await stored()).provisioningPassword), 'prov-secret-1', 'blank keeps the password');
    await t.api('PATCH', `/api/v1/partner/templates/${template.id}`, { provisioningPassword: 'prov-secret-2' });
    assert.equal(t.sb.services.secrets.open((await stored()).provisioningPassword), 'prov-secret-2');

    const audit = await t.api('GET', `/api/v1/audit?entityId=${template.id}`);
    const text = JSON.stringify(audit.body);
    assert.ok(audit.body.items.length >= 3, text);
    assert.equal(text.includes('prov-secret'), false, 'no password in the audit log');

    const missing = await t.api('POST', '/api/v1/partner/templates', { name: 'nopass', clusterId: template.clusterId, provisioningAccount: 'a', partnerAdminEmail: 'a@b.example' });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.error.details.issues.map((i: any) => i.path), ['provisioningPassword']);
  });

  test('P3: the provisioning password has at least 8 characters, on create and on edit; a 1-character one is a 400 naming the field', async () => {
    const { template } = await createClusterAndTemplate(t);
    const body = { name: 'short-pass', clusterId: template.clusterId, provisioningAccount: 'short', partnerAdminEmail: 'a@b.example' };
    const one = await t.api('POST', '/api/v1/partner/templates', { ...body, provisioningPassword: 'x' });
    assert.equal(one.status, 400, JSON.stringify(one.body));
    assert.equal(one.body.error.code, 'VALIDATION_FAILED');
    assert.ok(one.body.error.trackingId);
    const [issue] = one.body.error.details.issues;
    assert.equal(issue.path, 'provisioningPassword');
    assert.match(issue.message, /^Use at least 8 characters for the provisioning password \(this one has 1\)/);
    assert.equal((await t.api('POST', '/api/v1/partner/templates', { ...body, provisioningPassword: '1234567' })).status, 400, '7 characters');
    assert.equal((await t.api('GET', '/api/v1/partner/templates')).body.items.some((x: any) => x.name === 'short-pass'), false, 'nothing created');
    assert.equal((await t.api('POST', '/api/v1/partner/templates', { ...body, provisioningPassword: '12345678' })).status, 201, '8 characters');

    const edit = await t.api('PATCH', `/api/v1/partner/templates/${template.id}`, { provisioningPassword: 'ab', disableFreeCalling: true });
    assert.equal(edit.status, 400);
    assert.equal(edit.body.error.details.issues[0].path, 'provisioningPassword');
    assert.equal((await t.api('GET', `/api/v1/partner/templates/${template.id}`)).body.disableFreeCalling, false, 'the refused edit changed nothing');
    assert.equal((await t.api('PATCH', `/api/v1/partner/templates/${template.id}`, { provisioningPassword: '' })).status, 200, 'blank still keeps the stored one');
  });

  test('P3: a template with customers cannot be deleted; wholesale templates are refused by the API', async () => {
    const { template } = await createClusterAndTemplate(t, { template: { wholesale: true } });
    const wholesale = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId));
    assert.equal(wholesale.status, 403);
    assert.equal(wholesale.body.errors[0].errorCode, 1005);
    const { template: used } = await createClusterAndTemplate(t);
    assert.equal((await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(used.provisioningId, { spEnterpriseId: 'SP9+used' }))).status, 200);
    assert.equal((await t.api('DELETE', `/api/v1/partner/templates/${used.id}`)).status, 409);
  });

  test('roles: read-only admins read, cannot change; customer admins and bookers see nothing', async () => {
    const readOnly = await t.tokenFor('read_only_admin');
    assert.equal((await t.api('GET', '/api/v1/partner/clusters', undefined, { token: readOnly })).status, 200);
    assert.equal((await t.api('POST', '/api/v1/partner/clusters', cluster('ro'), { token: readOnly })).status, 403);
    for (const role of ['customer_admin', 'booker'] as const) {
      const token = await t.tokenFor(role);
      assert.equal((await t.api('GET', '/api/v1/partner/templates', undefined, { token })).status, 403);
      assert.equal((await t.api('GET', '/v1/broadworks/subscribers', undefined, { token })).status, 403);
    }
  });
});
