import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { partnerArea } from './partner.area.ts';
import { bridgePath } from './flow-through.routes.ts';
import { countAdminsOfOrg, findOrgByEnterprise } from './partner.repository.ts';
import { createClusterAndTemplate, holdAcceptsTogether } from './partner.testkit.ts';

// P2 flow-through throughput: new subscribers that arrive while an accept transaction runs are
// decided together in the next one (group commit). These tests hold the first transaction on a lock
// so that the others queue and are decided as one batch, then check that the answers are those of
// deciding them one by one: P1 one org per enterprise, repeated adds are noops, and one bad request
// (a refused one, or one that breaks the transaction) does not fail the others.
describe('flow-through accepts decided in batches', () => {
  let t: TestSwitchboard;
  let first: { provisioningId: string };
  let second: { provisioningId: string };
  let wholesale: { provisioningId: string };
  const auth = (account = 'prov-admin', password = 'prov-secret-1') => `Basic ${Buffer.from(`${account}:${password}`).toString('base64')}`;
  let n = 0;
  const add = (provisioningId: string, fields: { userId?: string; group?: string; email?: string | null; phone?: string | null; extension?: string } = {}, authorization = auth()) => {
    n += 1;
    const userId = fields.userId ?? `b${n}@batch.sp`;
    const tag = (name: string, value: string | null | undefined) => (value ? `<${name}>${value}</${name}>` : '');
    const body = `<?xml version="1.0" encoding="UTF-8"?><provisioningRequest version="1.0"><user action="add"><userId>${userId}</userId><serviceProviderId>BatchSP</serviceProviderId><groupId>${fields.group ?? 'one'}</groupId><firstName>B</firstName><lastName>N${n}</lastName>${tag('email', fields.email === undefined ? `b${n}@batch.example` : fields.email)}${tag('primaryPhoneNumber', fields.phone === undefined ? `+1-555-7${String(n).padStart(4, '0')}` : fields.phone)}${tag('extension', fields.extension)}</user></provisioningRequest>`;
    return fetch(`${t.url}${bridgePath(provisioningId)}`, { method: 'POST', headers: { 'content-type': 'application/xml', authorization }, body }).then(async (res) => {
      const text = await res.text();
      const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
      return { userId, http: res.status, status: field('status'), subscriberId: field('subscriberId'), errorCode: field('errorCode'), fieldName: field('fieldName') };
    });
  };
  const metric = async (name: string) => (await t.sb.services.metrics.registry.getSingleMetric(name)!.get()).values;
  const batches = async () => (await metric('switchboard_partner_accept_batch_size')).find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value ?? 0;

  /** `send`'s requests decided as one batch after the first one or two (see holdAcceptsTogether). */
  async function inOneBatch<T>(count: number, send: Parameters<typeof holdAcceptsTogether<T>>[2]): Promise<T[]> {
    const before = await batches();
    const { results, alone } = await holdAcceptsTogether(t, count, send);
    assert.equal((await batches()) - before, alone + 1, 'the first requests alone, then all the others together');
    return results;
  }

  const provisionedOf = async (spEnterpriseId: string) =>
    (await t.api('GET', `/v1/broadworks/subscribers?spEnterpriseId=${encodeURIComponent(spEnterpriseId)}&status=provisioned&max=100`)).body.items.length;

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    first = (await createClusterAndTemplate(t)).template;
    second = (await createClusterAndTemplate(t, { template: { provisioningAccount: 'second', provisioningPassword: 'second-secret' } })).template;
    wholesale = (await createClusterAndTemplate(t, { template: { wholesale: true } })).template;
  });
  after(async () => t?.close());

  test('P1: thirty first users of one new enterprise in one batch make one org with one admin; repeated adds of a user are noops', async () => {
    const results = await inOneBatch(32, () => [
      ...Array.from({ length: 29 }, () => add(first.provisioningId)),
      ...Array.from({ length: 3 }, () => add(first.provisioningId, { userId: 'twice@batch.sp', email: 'twice@batch.example' })),
    ]);
    const twice = results.filter((r) => r.userId === 'twice@batch.sp');
    assert.deepEqual(twice.map((r) => r.status).sort(), ['accepted', 'noop', 'noop']);
    assert.equal(new Set(twice.map((r) => r.subscriberId)).size, 1, 'the noops name the accepted subscriber');
    for (const r of results) assert.equal(r.http, 200, JSON.stringify(r));
    assert.equal(results.filter((r) => r.status === 'accepted').length, 30);

    await waitFor('all thirty provisioned', async () => (await provisionedOf('BatchSP+one')) === 30, { timeoutMs: 60_000 });
    const db = t.sb.services.database.db;
    const customers = (await t.api('GET', '/api/v1/partner/customers')).body.items.filter((c: any) => c.spEnterpriseId === 'BatchSP+one');
    assert.equal(customers.length, 1);
    assert.equal(await countAdminsOfOrg(db, customers[0].id), 1);
    const history = await db.execute(sql`select count(*)::int as n from partner_subscriber_history where sp_enterprise_id = 'BatchSP+one' and change = 'created'`);
    assert.equal((history.rows[0] as { n: number }).n, 30, 'one created entry per subscriber');
    const audited = await db.execute(sql`select count(*)::int as n from audit_events where action = 'partner.subscriber.provision' and actor_name = 'provisioning-bridge:prov-admin'`);
    assert.equal((audited.rows[0] as { n: number }).n, 30);
    const jobs = await db.execute(sql`select count(distinct entity_id)::int as n, count(*)::int as total from job_records where queue = 'partner.provision-subscriber' and created_by = 'provisioning-bridge:prov-admin'`);
    assert.deepEqual(jobs.rows[0], { n: 30, total: 30 }, 'one provisioning job per subscriber');
  });

  test('one bad request inside a batch does not fail the others: refusals are per request, a broken insert is decided alone', async () => {
    // An org of the first template exists (previous test); the second template may not take it.
    const db = t.sb.services.database.db;
    assert.ok(await findOrgByEnterprise(db, 'BatchSP+one'));
    // A failure the batch cannot foresee (a database rule of the test's own): it breaks the batch's insert.
    await db.execute(sql.raw(`create function test_refuse_explode() returns trigger language plpgsql as $$ begin if new.user_id = 'explode@batch.sp' then raise exception 'refused by the test'; end if; return new; end $$`));
    await db.execute(sql.raw('create trigger test_refuse_explode before insert on partner_subscribers for each row execute function test_refuse_explode()'));
    const good = Array.from({ length: 5 }, (_, i) => ({ userId: `good${i}@batch.sp`, group: 'two', email: `good${i}@batch.example` }));
    const results = await inOneBatch(12, () => [
      ...good.map((fields) => add(first.provisioningId, fields)),
      add(first.provisioningId, { userId: 'nonumber@batch.sp', group: 'two', phone: null }),
      add(first.provisioningId, { userId: 'noemail@batch.sp', group: 'two', email: null }),
      add(first.provisioningId, { userId: 'wrongpassword@batch.sp', group: 'two' }, auth('prov-admin', 'wrong')),
      add(first.provisioningId, { userId: 'takenemail@batch.sp', group: 'two', email: 'TWICE@batch.example' }),
      add(second.provisioningId, { userId: 'othertemplate@batch.sp', group: 'one' }, auth('second', 'second-secret')),
      add(wholesale.provisioningId, { userId: 'wholesale@batch.sp', group: 'three' }),
      add(first.provisioningId, { userId: 'explode@batch.sp', group: 'two' }),
    ]);
    const by = (userId: string) => results.find((r) => r.userId === userId)!;
    for (const fields of good) assert.deepEqual([by(fields.userId).http, by(fields.userId).status], [200, 'accepted']);
    assert.deepEqual([by('nonumber@batch.sp').http, by('nonumber@batch.sp').errorCode, by('nonumber@batch.sp').fieldName], [400, '1001', 'primaryPhoneNumber']);
    assert.deepEqual([by('noemail@batch.sp').http, by('noemail@batch.sp').errorCode, by('noemail@batch.sp').fieldName], [400, '1001', 'email']);
    assert.deepEqual([by('wrongpassword@batch.sp').http, by('wrongpassword@batch.sp').errorCode], [401, '1401']);
    assert.deepEqual([by('takenemail@batch.sp').http, by('takenemail@batch.sp').errorCode], [409, '10023']);
    assert.deepEqual([by('othertemplate@batch.sp').http, by('othertemplate@batch.sp').errorCode], [409, '1003']);
    assert.deepEqual([by('wholesale@batch.sp').http, by('wholesale@batch.sp').errorCode], [403, '1005']);
    assert.deepEqual([by('explode@batch.sp').http, by('explode@batch.sp').errorCode], [500, '1500']);
    await db.execute(sql.raw('drop trigger test_refuse_explode on partner_subscribers'));

    await waitFor('the good ones provisioned', async () => (await provisionedOf('BatchSP+two')) === 5, { timeoutMs: 60_000 });
    const stored = await db.execute(sql`select user_id from partner_subscribers where sp_enterprise_id in ('BatchSP+two', 'BatchSP+three') or user_id = 'othertemplate@batch.sp' order by user_id`);
    assert.deepEqual(stored.rows.map((r) => (r as { user_id: string }).user_id), good.map((g) => g.userId).sort(), 'nothing of the refused requests was stored');
  });

  test('two queued requests with the same email (different users, any case): the first decided is accepted, the other refused with 10023', async () => {
    const results = await inOneBatch(3, () => [
      add(first.provisioningId, { userId: 'same1@batch.sp', group: 'four', email: 'same@batch.example' }),
      add(first.provisioningId, { userId: 'same2@batch.sp', group: 'four', email: 'Same@Batch.example' }),
      add(first.provisioningId, { userId: 'other@batch.sp', group: 'four' }),
    ]);
    const same = results.filter((r) => r.userId.startsWith('same'));
    assert.deepEqual(same.map((r) => (r.status === 'failed' ? r.errorCode : r.status)).sort(), ['10023', 'accepted']);
    assert.equal(results.find((r) => r.userId === 'other@batch.sp')!.status, 'accepted');
  });

  test('a request naming the user ID or email of a batch not yet committed waits for it, and so does a later request sharing a key with a waiting one', async () => {
    // In this order: A; B has A's email (another case); C has B's user ID. One by one, A is accepted,
    // B refused (its email is A's), then C accepted (B took nothing). On PostgreSQL two batches run
    // at once: C must not start beside A while B waits, or it would take the user ID before B came.
    const results = await inOneBatch(3, [
      () => add(first.provisioningId, { userId: 'keya@batch.sp', group: 'five', email: 'keya@batch.example' }),
      () => add(first.provisioningId, { userId: 'keyb@batch.sp', group: 'five', email: 'KeyA@batch.example' }),
      () => add(first.provisioningId, { userId: 'keyb@batch.sp', group: 'five', email: 'keyc@batch.example' }),
    ]);
    assert.deepEqual(
      results.map((r) => [r.http, r.status, r.errorCode]),
      [
        [200, 'accepted', undefined],
        [409, 'failed', '10023'],
        [200, 'accepted', undefined],
      ],
    );
  });

  test('a changed provisioning password or account is refused from the very next add, and a deleted template at once (no credential cache outlives them)', async () => {
    const { template } = await createClusterAndTemplate(t, { template: { provisioningAccount: 'rotating', provisioningPassword: 'rotating-secret' } });
    const sent = (authorization: string) => add(template.provisioningId, { group: 'rotate' }, authorization);
    const outcome = (r: Awaited<ReturnType<typeof add>>) => [r.http, r.errorCode ?? r.status];
    assert.deepEqual(outcome(await sent(auth('rotating', 'rotating-secret'))), [200, 'accepted']);

    assert.equal((await t.api('PATCH', `/api/v1/partner/templates/${template.id}`, { provisioningPassword: 'rotating-secret-2' })).status, 200);
    assert.deepEqual(outcome(await sent(auth('rotating', 'rotating-secret'))), [401, '1401'], 'the old password, right after the change');
    assert.deepEqual(outcome(await sent(auth('rotating', 'rotating-secret-2'))), [200, 'accepted']);

    assert.equal((await t.api('PATCH', `/api/v1/partner/templates/${template.id}`, { provisioningAccount: 'rotated' })).status, 200);
    assert.deepEqual(outcome(await sent(auth('rotating', 'rotating-secret-2'))), [401, '1401'], 'the old account name');
    assert.deepEqual(outcome(await sent(auth('rotated', 'rotating-secret-2'))), [200, 'accepted']);

    // A template with subscribers cannot be deleted; an empty one can, and its URL stops answering.
    const { template: empty } = await createClusterAndTemplate(t, { template: { provisioningAccount: 'doomed', provisioningPassword: 'doomed-secret' } });
    assert.equal((await t.api('DELETE', `/api/v1/partner/templates/${empty.id}`)).status, 204);
    assert.deepEqual(outcome(await add(empty.provisioningId, { group: 'doomed' }, auth('doomed', 'doomed-secret'))), [401, '1401']);
  });
});
