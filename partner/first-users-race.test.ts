import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from './partner.area.ts';
import { getPartnerLab } from './partner.lab.ts';
import { createClusterAndTemplate, subscriberBody, waitFor, waitForStatus } from './partner.testkit.ts';
import { insertIdentity } from './user-migration.repository.ts';

// P1/P6/P10: the first two users of a new enterprise, their provisioning jobs in two transactions
// at the same instant. The second must be provisioned as a later user of the org the first makes:
// not its admin, and, having a Webex account of its own, waiting for consent to move it. Only
// PostgreSQL runs two transactions at once (the embedded database has one connection).
const postgres = Boolean(process.env.DATABASE_URL);

describe('two first users of a new enterprise provisioned at once', { skip: postgres ? false : 'needs PostgreSQL (set DATABASE_URL): embedded transactions never overlap' }, () => {
  let t: TestSwitchboard;
  let holder: pg.Client;
  const HOLD = 4242;

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { lab: 'true', jobPollSeconds: 0.5 } });
    holder = new pg.Client({ connectionString: t.sb.services.config.databaseUrl });
    await holder.connect();
  });
  after(async () => {
    await holder?.end();
    await t?.close();
  });

  const waitingOnLocks = async () =>
    ((await holder.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0] as { n: number }).n;

  test('the second waits for the first one\'s org, then asks for consent and is not made admin', { timeout: 90_000 }, async () => {
    const { template } = await createClusterAndTemplate(t);
    const enterprise = `Race${crypto.randomInt(1e9)}+new`;
    const first = subscriberBody(template.provisioningId, { spEnterpriseId: enterprise, userId: 'first@race.sp', email: 'first@race.example' });
    const second = subscriberBody(template.provisioningId, { spEnterpriseId: enterprise, userId: 'second@race.sp', email: 'second@race.example' });
    await insertIdentity(t.sb.services.database.db, { id: crypto.randomUUID(), email: 'second@race.example', displayName: 'Old Account', kind: 'free', passwordHash: 'x', createdAt: new Date() });
    // The first user's transaction stops inside, after making the org, until the test lets it go.
    await holder.query('select pg_advisory_lock($1)', [HOLD]);
    const db = t.sb.services.database.db;
    await db.execute(sql.raw(`create function test_hold_first() returns trigger language plpgsql as $$ begin if new.email = 'first@race.example' then perform pg_advisory_xact_lock(${HOLD}); end if; return new; end $$`));
    await db.execute(sql.raw('create trigger test_hold_first before insert on partner_people for each row execute function test_hold_first()'));
    try {
      const a = await t.api('POST', '/v1/broadworks/subscribers', first);
      assert.equal(a.status, 200, JSON.stringify(a.body));
      await waitFor('the first user held inside its transaction', async () => (await waitingOnLocks()) === 1, { timeoutMs: 30_000 });
      const b = await t.api('POST', '/v1/broadworks/subscribers', second);
      assert.equal(b.status, 200, JSON.stringify(b.body));
      await waitFor('the second user waiting for the first', async () => (await waitingOnLocks()) === 2, { timeoutMs: 30_000 });
      await holder.query('select pg_advisory_unlock($1)', [HOLD]);

      assert.equal((await waitForStatus(t, a.body.id, ['provisioned', 'error'])).status, 'provisioned');
      const later = await waitForStatus(t, b.body.id, ['pending_user_migration', 'provisioned', 'error']);
      assert.equal(later.status, 'pending_user_migration', 'a later user with a Webex account consents first');
      const lab = getPartnerLab(t.sb.services)!;
      await waitFor('the consent email', async () => lab.mail.to('second@race.example').find((m) => m.subject === 'Move your Webex account to your service provider'));
      const orgs = (await t.api('GET', '/api/v1/partner/customers')).body.items.filter((c: { spEnterpriseId: string }) => c.spEnterpriseId === enterprise);
      assert.equal(orgs.length, 1);
      const people = (await t.api('GET', `/api/v1/partner/customers/${orgs[0].id}/users`)).body.items as { email: string; isAdmin: boolean }[];
      assert.deepEqual(people.map((p) => [p.email, p.isAdmin]), [['first@race.example', true]]);
      const identity = (await t.api('GET', '/api/v1/partner/lab/webex-identities')).body.items.find((i: { email: string }) => i.email === 'second@race.example');
      assert.equal(identity.state, 'active', 'the old account is moved only after consent');
    } finally {
      await holder.query('select pg_advisory_unlock_all()');
      await db.execute(sql.raw('drop trigger if exists test_hold_first on partner_people'));
      await db.execute(sql.raw('drop function if exists test_hold_first()'));
    }
  });
});
