import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from './partner.area.ts';
import { createClusterAndTemplate, subscriberBody, waitFor, waitForStatus, webexContract } from './partner.testkit.ts';
import { adminContract } from './directory.testkit.ts';
import { setDirectorySource, type DirectoryEntry } from './organizations.service.ts';
import * as repo from './partner.repository.ts';

// /v1/broadworks/enterprises (directory sync), /v1/broadworks/workspaces, /v1/people,
// /v1/organizations (P12) and the console's detach (P8) and delete; every /v1 answer is checked
// against the Webex OpenAPI schemas (unknown fields fail too).
describe('Webex-compatible enterprises, workspaces, people and organizations', () => {
  let t: TestSwitchboard;
  let provisioningId: string;
  const contract = adminContract();
  const errors = webexContract();
  const expectError = (res: { status: number; body: any; headers: Headers }, status: number, errorCode: number) => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    errors?.error(res.body);
    assert.equal(res.body.errors[0].errorCode, errorCode, JSON.stringify(res.body));
    assert.equal(res.body.trackingId, res.headers.get('trackingid'));
  };
  let directory: DirectoryEntry[] = [];

  /** Provisions `n` subscribers of an enterprise and waits until they are provisioned. */
  async function provisioned(spEnterpriseId: string, n: number, template = provisioningId) {
    const subs = [];
    for (let i = 0; i < n; i++) {
      const res = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template, { spEnterpriseId }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      subs.push(await waitForStatus(t, res.body.id, ['provisioned']));
    }
    return subs;
  }
  async function enterpriseOf(spEnterpriseId: string) {
    const list = await t.api('GET', `/v1/broadworks/enterprises?spEnterpriseId=${encodeURIComponent(spEnterpriseId)}`);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    return list.body.items[0];
  }
  const uuidOf = (webexId: string) => Buffer.from(webexId, 'base64url').toString().split('/').pop()!;

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    provisioningId = (await createClusterAndTemplate(t)).template.provisioningId;
    setDirectorySource(t.sb.services, async () => directory);
  });
  after(async () => t?.close());

  test('enterprises: list with spEnterpriseId, startsWith and max; unknown filters and max>1000 refused', async () => {
    await provisioned('ResA+alpha', 1);
    await provisioned('ResA+beta', 1);
    await provisioned('ResB+gamma', 1);
    const all = await t.api('GET', '/v1/broadworks/enterprises');
    assert.equal(all.status, 200);
    contract?.enterpriseList(all.body);
    assert.deepEqual(all.body.items.map((e: any) => e.spEnterpriseId), ['ResA+alpha', 'ResA+beta', 'ResB+gamma']);
    assert.equal(all.body.items[0].provisioningId, provisioningId);
    assert.equal(all.body.items[0].broadworksDirectorySync.enableDirSync, false);
    assert.equal(all.body.items[0].broadworksDirectorySync.directorySyncStatus.syncStatus, 'NOT_SYNCED');
    assert.deepEqual((await t.api('GET', '/v1/broadworks/enterprises?startsWith=ResA')).body.items.map((e: any) => e.spEnterpriseId), ['ResA+alpha', 'ResA+beta']);
    assert.deepEqual((await t.api('GET', '/v1/broadworks/enterprises?startsWith=ResA&max=1')).body.items.length, 1);
    assert.deepEqual((await t.api('GET', '/v1/broadworks/enterprises?startsWith=Res_')).body.items, [], '_ is not a wildcard');
    assert.deepEqual((await t.api('GET', '/v1/broadworks/enterprises?spEnterpriseId=ResB%2Bgamma')).body.items.map((e: any) => e.spEnterpriseId), ['ResB+gamma']);
    expectError(await t.api('GET', '/v1/broadworks/enterprises?max=1001'), 400, 1002);
    expectError(await t.api('GET', '/v1/broadworks/enterprises?colour=red'), 400, 1003);
    const customers = (await t.api('GET', '/api/v1/partner/customers')).body.items;
    const gamma = customers.find((c: any) => c.spEnterpriseId === 'ResB+gamma');
    assert.equal(uuidOf(all.body.items[2].orgId), gamma.id);
  });

  test('directory sync: enable, sync now (a job), status with counts; external user ADD/UPDATE/NO_OPERATION/DELETE; disable removes them', async () => {
    const [sub] = await provisioned('ResC+sync', 1);
    const ent = await enterpriseOf('ResC+sync');
    const path = `/v1/broadworks/enterprises/${ent.id}/broadworksDirectorySync`;
    expectError(await t.api('POST', path, { syncStatus: 'SYNC_NOW' }), 409, 1014);
    expectError(await t.api('POST', path, { syncStatus: 'LATER' }), 400, 1003);
    const enabled = await t.api('PUT', path, { enableDirSync: true });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    contract?.updateDirectorySync(enabled.body);
    assert.deepEqual(enabled.body, { enableDirSync: true, directorySyncStatus: { syncStatus: 'NOT_SYNCED' } });

    // The BroadWorks directory: two BroadWorks-only users, a conference room, and the Webex subscriber (skipped).
    directory = [
      { userId: 'bob@res-c', kind: 'user', firstName: 'Bob', lastName: 'Only', extension: '2001' },
      { userId: 'carol@res-c', kind: 'user', firstName: 'Carol', lastName: 'Only', number: '+35391884653' },
      { userId: 'room1@res-c', kind: 'machine', firstName: 'Room', lastName: 'One' },
      { userId: sub.userId, kind: 'user', firstName: sub.firstName, lastName: sub.lastName },
    ];
    const triggered = await t.api('POST', path, { syncStatus: 'SYNC_NOW' });
    assert.equal(triggered.status, 200, JSON.stringify(triggered.body));
    contract?.triggerDirectorySync(triggered.body);
    assert.equal(triggered.body.directorySyncStatus.syncStatus, 'IN_PROGRESS');
    const done = await waitFor('sync complete', async () => {
      const s = await t.api('GET', path);
      return s.body.directorySyncStatus.syncStatus === 'COMPLETE' ? s : undefined;
    });
    contract?.directorySync(done.body);
    const status = done.body.directorySyncStatus;
    assert.equal(status.usersAdded, 2);
    assert.equal(status.machinesAdded, 1);
    assert.equal(status.totalExternalUsersInCI, 2);
    assert.equal(status.totalExternalMachinesInCI, 1);
    assert.equal(status.lastSyncTrackingId, triggered.headers.get('trackingid'));
    assert.ok(status.lastSuccessfulSyncTime);

    // A second sync after the directory changed: one updated, one deleted.
    directory = [directory[0]!, { ...directory[1]!, number: '+35391880000' }];
    await t.api('POST', path, { syncStatus: 'SYNC_NOW' });
    const second = await waitFor('second sync', async () => {
      const s = await t.api('GET', path);
      return s.body.directorySyncStatus.syncStatus === 'COMPLETE' && s.body.directorySyncStatus.lastSyncTrackingId !== status.lastSyncTrackingId ? s.body.directorySyncStatus : undefined;
    });
    assert.deepEqual([second.usersAdded, second.usersUpdated, second.usersDeleted, second.machinesDeleted], [0, 1, 0, 1]);

    const user = `${path}/externalUser`;
    directory.push({ userId: 'dave@res-c', kind: 'user', firstName: 'Dave', mobile: '+188-(2323)-(343)' });
    const added = await t.api('POST', user, { userId: 'dave@res-c' });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    contract?.externalUser(added.body);
    assert.deepEqual(added.body, { userResponse: { userId: 'dave@res-c', firstName: 'Dave', mobile: '+188-(2323)-(343)' }, status: 'ADD' });
    assert.equal((await t.api('POST', user, { userId: 'dave@res-c' })).body.status, 'NO_OPERATION');
    directory[2] = { ...directory[2]!, lastName: 'Later' };
    assert.equal((await t.api('POST', user, { userId: 'dave@res-c' })).body.status, 'UPDATE');
    directory.pop();
    assert.equal((await t.api('POST', user, { userId: 'dave@res-c' })).body.status, 'DELETE');
    expectError(await t.api('POST', user, { userId: 'nobody@res-c' }), 404, 1003);
    expectError(await t.api('POST', user, { userId: sub.userId }), 400, 1003);

    // An unreachable directory: the sync fails with 6003 in the status errors.
    setDirectorySource(t.sb.services, async () => {
      throw new Error('Broadworks External Directory User Sync failed while trying to connect to Broadworks cluster.');
    });
    await t.api('POST', path, { syncStatus: 'SYNC_NOW' });
    const failed = await waitFor('failed sync', async () => {
      const s = await t.api('GET', path);
      return s.body.directorySyncStatus.syncStatus === 'FAILED' ? s.body : undefined;
    });
    contract?.directorySync(failed);
    assert.equal(failed.directorySyncStatus.errors[0].errorCode, 6003);
    setDirectorySource(t.sb.services, async () => directory);

    const disabled = await t.api('PUT', path, { enableDirSync: false });
    assert.deepEqual(disabled.body, { enableDirSync: false, directorySyncStatus: { syncStatus: 'NOT_SYNCED' } });
    const after = (await t.api('GET', path)).body.directorySyncStatus;
    assert.equal(after.totalExternalUsersInCI, 0, 'turning sync off removes the synced external users');
    expectError(await t.api('GET', `/v1/broadworks/enterprises/${Buffer.from('ciscospark://us/ENTERPRISE/' + crypto.randomUUID()).toString('base64url')}/broadworksDirectorySync`), 404, 1008);
    const readOnly = await t.tokenFor('read_only_admin');
    expectError(await t.api('PUT', path, { enableDirSync: true }, { token: readOnly }), 403, 1403);
  });

  test('workspaces: create for an existing customer only, get, update (empty removes), delete; user ID unique with subscribers', async () => {
    const [sub] = await provisioned('ResD+rooms', 1);
    const body = { provisioningId, userId: '95547321@sp.example', spEnterpriseId: 'ResD+rooms', displayName: 'Conference Room', primaryPhoneNumber: '+1-240-555-1212', extension: '51212' };
    expectError(await t.api('POST', '/v1/broadworks/workspaces', { ...body, spEnterpriseId: 'ResD+nobody' }), 404, 1008);
    expectError(await t.api('POST', '/v1/broadworks/workspaces', { ...body, provisioningId: 'nope' }), 400, 1004);
    expectError(await t.api('POST', '/v1/broadworks/workspaces', { ...body, userId: sub.userId }), 409, 10022);
    const { displayName: _d, ...noName } = body;
    expectError(await t.api('POST', '/v1/broadworks/workspaces', noName), 400, 1001);
    const created = await t.api('POST', '/v1/broadworks/workspaces', body);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    contract?.workspace(created.body);
    assert.equal(Buffer.from(created.body.id, 'base64url').toString().startsWith('ciscospark://us/PLACE/'), true);
    assert.equal(created.body.extension, '51212');
    expectError(await t.api('POST', '/v1/broadworks/workspaces', body), 409, 10022);

    const updated = await t.api('PUT', `/v1/broadworks/workspaces/${created.body.id}`, { userId: '95547322@sp.example', extension: '' });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    contract?.workspace(updated.body);
    assert.equal(updated.body.userId, '95547322@sp.example');
    assert.equal(updated.body.extension, undefined);
    assert.equal((await t.api('GET', `/v1/broadworks/workspaces/${created.body.id}`)).body.userId, '95547322@sp.example');
    expectError(await t.api('PUT', `/v1/broadworks/workspaces/${created.body.id}`, { displayName: 'x' }), 400, 1003);

    assert.equal((await t.api('DELETE', `/v1/broadworks/workspaces/${created.body.id}`)).status, 204);
    expectError(await t.api('GET', `/v1/broadworks/workspaces/${created.body.id}`), 404, 1009);
    expectError(await t.api('DELETE', `/v1/broadworks/workspaces/${created.body.id}`), 404, 1009);
  });

  test('people: list by org, email, displayName, id (notFoundIds), roles; get; paging with Link', async () => {
    const subs = await provisioned('ResE+people', 3);
    const ent = await enterpriseOf('ResE+people');
    const list = await t.api('GET', `/v1/people?orgId=${ent.orgId}`);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    contract?.people(list.body);
    assert.equal(list.body.items.length, 3);
    assert.deepEqual(list.body.items.map((p: any) => p.id), subs.map((s: any) => s.personId));
    const admin = list.body.items.filter((p: any) => p.roles.length);
    assert.equal(admin.length, 1, 'the first user is the org admin');
    assert.deepEqual((await t.api('GET', `/v1/people?orgId=${ent.orgId}&roles=${admin[0].roles[0]}`)).body.items.map((p: any) => p.id), [admin[0].id]);
    const one = await t.api('GET', `/v1/people/${subs[1].personId}`);
    contract?.person(one.body);
    assert.deepEqual(one.body.emails, [subs[1].email]);
    assert.equal(one.body.phoneNumbers[0].value, subs[1].primaryPhoneNumber);
    assert.equal(one.body.orgId, ent.orgId);
    assert.deepEqual((await t.api('GET', `/v1/people?email=${encodeURIComponent(subs[2].email.toUpperCase())}`)).body.items.map((p: any) => p.id), [subs[2].personId]);
    assert.equal((await t.api('GET', `/v1/people?orgId=${ent.orgId}&displayName=john%20and`)).body.items.length, 3);
    const missing = Buffer.from(`ciscospark://us/PEOPLE/${crypto.randomUUID()}`).toString('base64url');
    const byId = await t.api('GET', `/v1/people?id=${subs[0].personId},${missing}`);
    contract?.people(byId.body);
    assert.deepEqual(byId.body.items.map((p: any) => p.id), [subs[0].personId]);
    assert.deepEqual(byId.body.notFoundIds, [missing]);
    expectError(await t.api('GET', `/v1/people?id=${Array.from({ length: 86 }, () => missing).join(',')}`), 400, 1002);
    const page = await t.api('GET', `/v1/people?orgId=${ent.orgId}&max=2`);
    assert.equal(page.body.items.length, 2);
    const next = /<([^>]+)>; rel="next"/.exec(page.headers.get('link') ?? '')?.[1];
    assert.ok(next);
    const page2 = await t.api('GET', new URL(next!).pathname + new URL(next!).search);
    assert.deepEqual(page2.body.items.map((p: any) => p.id), [subs[2].personId]);
    expectError(await t.api('GET', `/v1/people/${missing}`), 404, 1010);
    // A customer admin sees their own org only.
    const other = await enterpriseOf('ResA+alpha');
    const customer = await t.tokenFor('customer_admin', uuidOf(ent.orgId));
    assert.equal((await t.api('GET', '/v1/people', undefined, { token: customer })).body.items.length, 3);
    expectError(await t.api('GET', `/v1/people?orgId=${other.orgId}`, undefined, { token: customer }), 403, 1403);
    assert.deepEqual((await t.api('GET', '/v1/organizations', undefined, { token: customer })).body.items.map((o: any) => o.id), [ent.orgId]);
  });

  test('P12: deleting a person removes its subscriber; the last full admin is refused (1012) unless force=true; roles checked', async () => {
    const subs = await provisioned('ResF+delete', 2);
    const people = (await t.api('GET', `/v1/people?orgId=${(await enterpriseOf('ResF+delete')).orgId}`)).body.items;
    const admin = people.find((p: any) => p.roles.length);
    const user = people.find((p: any) => !p.roles.length);
    const readOnly = await t.tokenFor('read_only_admin');
    expectError(await t.api('DELETE', `/v1/people/${user.id}`, undefined, { token: readOnly }), 403, 1403);

    assert.equal((await t.api('DELETE', `/v1/people/${user.id}`)).status, 204);
    expectError(await t.api('GET', `/v1/people/${user.id}`), 404, 1010);
    const userSub = subs.find((s: any) => s.personId === user.id);
    expectError(await t.api('GET', `/v1/broadworks/subscribers/${userSub.id}`), 404, 1006);
    const history = await t.api('GET', `/api/v1/partner/subscribers/${uuidOf(userSub.id)}/history`);
    assert.equal(history.body.items.at(-1).change, 'removed');

    const refused = await t.api('DELETE', `/v1/people/${admin.id}`);
    expectError(refused, 409, 1012);
    assert.match(refused.body.message, /last full administrator.*not transferred automatically/);
    assert.equal((await t.api('GET', `/v1/people/${admin.id}`)).status, 200);
    assert.equal((await t.api('DELETE', `/v1/people/${admin.id}?force=true`)).status, 204);

    // Subscriber removal (partial deletion) leaves the person as a free user that can still be deleted.
    const [kept] = await provisioned('ResF+delete', 1);
    assert.equal((await t.api('DELETE', `/v1/broadworks/subscribers/${kept.id}`)).status, 204);
    assert.equal((await t.api('GET', `/v1/people/${kept.personId}`)).status, 200, 'the Webex user stays after subscriber removal');

    // In an attached org where the partner is only a provisioning administrator, it cannot delete users.
    const db = t.sb.services.database.db;
    const email = `owner-${crypto.randomUUID().slice(0, 8)}@licensed.example`;
    await repo.insertWebexOrg(db, { id: crypto.randomUUID(), name: 'Licensed Inc', userCount: 3, userEmails: [email], adminEmails: [email], licences: 'active', createdAt: new Date() });
    const attached = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { spEnterpriseId: 'ResF+licensed', email }));
    const attachedSub = await waitForStatus(t, attached.body.id, ['provisioned']);
    expectError(await t.api('DELETE', `/v1/people/${attachedSub.personId}`), 403, 1403);
  });

  test('P12: organization delete answers 409 for each documented condition, then 204 and a job deletes it', async () => {
    const subs = await provisioned('ResG+org', 2);
    const ent = await enterpriseOf('ResG+org');
    const org = await t.api('GET', `/v1/organizations/${ent.orgId}`);
    contract?.organization(org.body);
    assert.equal(org.body.displayName, 'org');
    const all = await t.api('GET', '/v1/organizations');
    contract?.organizations(all.body);
    assert.ok(all.body.items.some((o: any) => o.id === ent.orgId));

    await t.api('PUT', `/v1/broadworks/enterprises/${ent.id}/broadworksDirectorySync`, { enableDirSync: true });
    const blocked = await t.api('DELETE', `/v1/organizations/${ent.orgId}`);
    expectError(blocked, 409, 1013);
    const reasons = blocked.body.errors.map((e: any) => e.description);
    assert.deepEqual(reasons, ['Org cannot be deleted as Directory Synchronization is enabled.', 'Org cannot be deleted as it has active subscriptions or licenses.', 'Org cannot be deleted as it has more than 1 user.']);
    await t.api('PUT', `/v1/broadworks/enterprises/${ent.id}/broadworksDirectorySync`, { enableDirSync: false });
    for (const s of subs) await t.api('DELETE', `/v1/broadworks/subscribers/${s.id}`);
    expectError(await t.api('DELETE', `/v1/organizations/${ent.orgId}`), 409, 1013);
    const people = (await t.api('GET', `/v1/people?orgId=${ent.orgId}`)).body.items;
    await t.api('DELETE', `/v1/people/${people.find((p: any) => !p.roles.length).id}`);
    assert.equal((await t.api('DELETE', `/v1/organizations/${ent.orgId}`)).status, 204);
    await waitFor('org deleted', async () => (await t.api('GET', `/v1/organizations/${ent.orgId}`)).status === 404);
    expectError(await t.api('GET', `/v1/organizations/${ent.orgId}`), 404, 1011);
    assert.equal((await t.api('GET', `/v1/people?orgId=${ent.orgId}`)).body.items.length, 0);
    assert.equal(await enterpriseOf('ResG+org'), undefined);
  });

  test('P12 console: delete a customer with everything — people, directory sync, then the org — as a job with progress', async () => {
    await provisioned('ResH+teardown', 3);
    const ent = await enterpriseOf('ResH+teardown');
    await t.api('PUT', `/v1/broadworks/enterprises/${ent.id}/broadworksDirectorySync`, { enableDirSync: true });
    const started = await t.api('POST', `/api/v1/partner/customers/${uuidOf(ent.orgId)}/delete`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const job = await waitFor('teardown job', async () => {
      const j = await t.api('GET', `/api/v1/jobs/${started.body.jobId}`);
      return j.body.state === 'completed' || j.body.state === 'failed' ? j.body : undefined;
    });
    assert.equal(job.state, 'completed', JSON.stringify(job));
    assert.deepEqual({ people: job.result.peopleDeleted, deleted: job.result.deleted }, { people: 3, deleted: true });
    expectError(await t.api('GET', `/v1/organizations/${ent.orgId}`), 404, 1011);
    const audit = await t.api('GET', `/api/v1/audit?entityId=${uuidOf(ent.orgId)}`);
    if (audit.status === 200) assert.ok(audit.body.items.some((a: any) => a.action === 'partner.customer.delete'));
  });

  test('P8: detach (standard) removes workspaces, subscribers, pending users and calling config, deletes subscriber data, ends partner access', async () => {
    const { template } = await createClusterAndTemplate(t, { template: { trustedEmails: false } });
    const db = t.sb.services.database.db;
    const admin = `admin-${crypto.randomUUID().slice(0, 8)}@existing.example`;
    const webexOrgId = crypto.randomUUID();
    await repo.insertWebexOrg(db, { id: webexOrgId, name: 'Existing Co', userCount: 5, userEmails: [admin], adminEmails: [admin], licences: 'none', createdAt: new Date() });
    // Untrusted template: users wait for their email; two enter one (the first attaches the org), one stays pending.
    const waiting: Array<{ id: string }> = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'ResI+attached', email: undefined }));
      assert.equal(res.body.status, 'pending_email_input');
      waiting.push(res.body);
    }
    for (const [i, email] of [admin, `second-${crypto.randomUUID().slice(0, 8)}@existing.example`].entries()) {
      const retried = await t.api('POST', `/api/v1/partner/subscribers/${uuidOf(waiting[i].id)}/retry`, { email });
      assert.equal(retried.status, 200, JSON.stringify(retried.body));
      await waitForStatus(t, waiting[i].id, ['provisioned']);
    }
    const ent = await enterpriseOf('ResI+attached');
    const room = await t.api('POST', '/v1/broadworks/workspaces', { provisioningId: template.provisioningId, userId: `room-${crypto.randomUUID()}@sp.example`, spEnterpriseId: 'ResI+attached', displayName: 'Room' });
    assert.equal(room.status, 200, JSON.stringify(room.body));
    await t.api('PUT', `/v1/broadworks/enterprises/${ent.id}/broadworksDirectorySync`, { enableDirSync: true });
    directory = [{ userId: 'ext@res-i', kind: 'user', firstName: 'Ext' }];
    assert.equal((await t.api('POST', `/v1/broadworks/enterprises/${ent.id}/broadworksDirectorySync/externalUser`, { userId: 'ext@res-i' })).body.status, 'ADD');
    await repo.updateWebexOrg(db, webexOrgId, { approvedPartnerAdmins: [template.partnerAdminEmail] });

    const customerId = uuidOf(ent.orgId);
    assert.equal((await t.api('POST', `/api/v1/partner/customers/${customerId}/detach`, { flow: 'sideways' })).status, 400);
    const started = await t.api('POST', `/api/v1/partner/customers/${customerId}/detach`, { flow: 'standard' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal((await t.api('POST', `/api/v1/partner/customers/${customerId}/detach`, { flow: 'standard' })).status, 409, 'already detaching');
    const job = await waitFor('detach job', async () => {
      const j = await t.api('GET', `/api/v1/jobs/${started.body.jobId}`);
      return j.body.state === 'completed' || j.body.state === 'failed' ? j.body : undefined;
    });
    assert.equal(job.state, 'completed', JSON.stringify(job));
    assert.deepEqual(job.result, { flow: 'standard', workspacesRemoved: 1, subscribersRemoved: 2, pendingRemoved: 1, externalUsersRemoved: 1, peopleDeleted: 2, peopleKept: 0, subscription: 'deactivated' });
    assert.equal(job.progress?.percent ?? 100, 100);
    assert.equal(await enterpriseOf('ResI+attached'), undefined);
    assert.equal((await t.api('GET', `/v1/broadworks/subscribers?spEnterpriseId=${encodeURIComponent('ResI+attached')}`)).body.items.length, 0);
    const webexOrg = await repo.findWebexOrg(db, webexOrgId);
    assert.deepEqual(webexOrg?.approvedPartnerAdmins, [], 'the partner admin lost its access');
  });

  test('P8: detach (hybrid) keeps the people as free users and the subscription; a partner-created org cannot be detached', async () => {
    const db = t.sb.services.database.db;
    const admin = `admin-${crypto.randomUUID().slice(0, 8)}@hybrid.example`;
    const webexOrgId = crypto.randomUUID();
    await repo.insertWebexOrg(db, { id: webexOrgId, name: 'Hybrid Co', userCount: 5, userEmails: [admin], adminEmails: [admin], licences: 'none', approvedPartnerAdmins: ['partner.admin@partner.example'], createdAt: new Date() });
    const first = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { spEnterpriseId: 'ResJ+hybrid', email: admin }));
    const sub = await waitForStatus(t, first.body.id, ['provisioned']);
    const ent = await enterpriseOf('ResJ+hybrid');
    const started = await t.api('POST', `/api/v1/partner/customers/${uuidOf(ent.orgId)}/detach`, { flow: 'hybrid' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const job = await waitFor('detach job', async () => {
      const j = await t.api('GET', `/api/v1/jobs/${started.body.jobId}`);
      return j.body.state === 'completed' || j.body.state === 'failed' ? j.body : undefined;
    });
    assert.equal(job.result.subscription, 'unchanged');
    assert.equal(job.result.peopleKept, 1);
    assert.equal(job.result.subscribersRemoved, 1);
    const person = await repo.findPerson(db, uuidOf(sub.personId));
    assert.equal(person?.customerOrgId, null, 'kept as a free Webex user');
    assert.deepEqual((await repo.findWebexOrg(db, webexOrgId))?.approvedPartnerAdmins, ['partner.admin@partner.example']);

    const own = await enterpriseOf('ResA+beta');
    const refused = await t.api('POST', `/api/v1/partner/customers/${uuidOf(own.orgId)}/detach`, { flow: 'standard' });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error?.message ?? refused.body.message ?? JSON.stringify(refused.body), /delete it instead/);
  });

  test('enterprises: the beta filters syncStatus (comma separated, any case), lastSyncEndTime and after', async () => {
    setDirectorySource(t.sb.services, async () => [{ userId: 'ext@beta-q', kind: 'user', firstName: 'Ext' }]);
    const names = (res: { body: any }) => res.body.items.map((e: any) => e.spEnterpriseId).filter((id: string) => id.startsWith('BetaQ'));
    await provisioned('BetaQ+never', 1);
    const createdBetween = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await provisioned('BetaQ+synced', 1);
    const synced = await enterpriseOf('BetaQ+synced');
    const path = `/v1/broadworks/enterprises/${synced.id}/broadworksDirectorySync`;
    await t.api('PUT', path, { enableDirSync: true });
    await t.api('POST', path, { syncStatus: 'SYNC_NOW' });
    const status = await waitFor('sync complete', async () => {
      const s = await t.api('GET', path);
      return s.body.directorySyncStatus.syncStatus === 'COMPLETE' ? s.body.directorySyncStatus : undefined;
    });
    const ended = Date.parse(status.lastSyncEndTime);

    assert.deepEqual(names(await t.api('GET', '/v1/broadworks/enterprises?startsWith=BetaQ&syncStatus=complete')), ['BetaQ+synced']);
    assert.deepEqual(names(await t.api('GET', '/v1/broadworks/enterprises?startsWith=BetaQ&syncStatus=failed,NOT_SYNCED')), ['BetaQ+never']);
    assert.deepEqual(names(await t.api('GET', '/v1/broadworks/enterprises?startsWith=BetaQ&syncStatus=in_progress')), []);
    expectError(await t.api('GET', '/v1/broadworks/enterprises?syncStatus=complete,later'), 400, 1003);
    assert.deepEqual(names(await t.api('GET', `/v1/broadworks/enterprises?startsWith=BetaQ&lastSyncEndTime=${ended}`)), ['BetaQ+synced']);
    assert.deepEqual(names(await t.api('GET', `/v1/broadworks/enterprises?startsWith=BetaQ&lastSyncEndTime=${encodeURIComponent(new Date(ended + 1).toISOString())}`)), []);
    expectError(await t.api('GET', '/v1/broadworks/enterprises?lastSyncEndTime=yesterday'), 400, 1003);
    const after = await t.api('GET', `/v1/broadworks/enterprises?startsWith=BetaQ&after=${createdBetween}`);
    contract?.enterpriseList(after.body);
    assert.deepEqual(names(after), ['BetaQ+synced']);
    assert.deepEqual(names(await t.api('GET', `/v1/broadworks/enterprises?startsWith=BetaQ&after=${createdBetween - 60_000}`)), ['BetaQ+never', 'BetaQ+synced']);
  });
});
