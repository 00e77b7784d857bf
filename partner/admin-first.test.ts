import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from './partner.area.ts';
import { createClusterAndTemplate, subscriberBody, waitFor, waitForStatus } from './partner.testkit.ts';

// P3 "Provision Admin First": with it on, no other user of a new enterprise completes activation
// until the enterprise's first subscriber (who becomes the customer admin) is provisioned; with it
// off, whoever becomes active first is the admin (Cisco's template guide).
describe('P3 Provision Admin First', () => {
  let t: TestSwitchboard;
  const uuid = (id: string) => Buffer.from(id, 'base64url').toString().split('/').pop()!;
  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
  });
  after(async () => t?.close());

  /** A first subscriber that fails (its email is a user of another org), then a second one. */
  async function scenario(provisionAdminFirst: boolean, enterprise: string) {
    const { template } = await createClusterAndTemplate(t, { template: { provisionAdminFirst } });
    const taken = `taken-${enterprise}@example.org`;
    const other = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: `${enterprise}-other`, email: taken }));
    await waitForStatus(t, other.body.id, ['provisioned']);
    assert.equal((await t.api('DELETE', `/v1/broadworks/subscribers/${other.body.id}`)).status, 204, 'the person stays, as a free user of the other org');
    const first = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: enterprise, email: taken }));
    assert.equal((await waitForStatus(t, first.body.id, ['error', 'provisioned'])).status, 'error');
    const second = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: enterprise }));
    return { first: first.body.id as string, second: second.body.id as string };
  }
  const adminOf = async (enterprise: string) => {
    const org = (await t.api('GET', '/api/v1/partner/customers')).body.items.find((c: any) => c.spEnterpriseId === enterprise);
    return (await t.api('GET', `/api/v1/partner/customers/${org.id}/users`)).body.items.filter((u: any) => u.isAdmin).map((u: any) => u.email);
  };

  test('on: the second user waits until the first is provisioned, then completes; the first is the admin', async () => {
    const { first, second } = await scenario(true, 'SP9+adminfirst');
    const held = await waitFor('the hold', async () => (await t.api('GET', `/api/v1/partner/subscribers/${uuid(second)}/waiting`)).body.hold);
    assert.equal(held.waitingFor, uuid(first));
    const job = await waitFor('the held job', async () => (await t.api('GET', `/api/v1/jobs?queue=partner.provision-subscriber&limit=500`)).body.items.find((j: any) => j.state === 'completed' && j.result?.held));
    assert.match(job.result.held, /provision-admin-first/);
    assert.equal((await t.api('GET', `/v1/broadworks/subscribers/${second}`)).body.status, 'provisioning', 'blocked from completing');

    const retried = await t.api('POST', `/api/v1/partner/subscribers/${uuid(first)}/retry`, { email: 'boss@adminfirst.example' });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal((await waitForStatus(t, first, ['provisioned', 'error'])).status, 'provisioned');
    const released = await waitForStatus(t, second, ['provisioned', 'error']);
    assert.equal(released.status, 'provisioned', 'released once the first user is active');
    assert.deepEqual(await adminOf('SP9+adminfirst'), ['boss@adminfirst.example']);
    assert.equal((await t.api('GET', `/api/v1/partner/subscribers/${uuid(second)}/waiting`)).body.hold, null);
  });

  test('off: the first user to become active is the admin', async () => {
    const { second } = await scenario(false, 'SP9+whoever');
    const done = await waitForStatus(t, second, ['provisioned', 'error']);
    assert.equal(done.status, 'provisioned');
    assert.deepEqual(await adminOf('SP9+whoever'), [done.email]);
  });
});
