import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import AjvModule from 'ajv';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { partnerArea } from '../partner.area.ts';
import { createClusterAndTemplate, subscriberBody, waitFor, waitForStatus } from '../partner.testkit.ts';
import { insertHistoryRows, insertReport } from './billing.repository.ts';
import { historyBySubscriber } from './billing.history.ts';
import { formatQuantity, monthOf, prorateSubscriber, toSubscriberId, type HistoryRow } from './billing.proration.ts';
import crypto from 'node:crypto';
import { laneRanges, mergeLaneOutputs, parseCsvLine } from './billing.service.ts';
import { writeReportCsv } from './billing.report-writer.ts';
import { roles, type Role } from '../../platform/auth/roles.ts';

// P16 through the API: the Webex-compatible billing reports (create, list, get, delete, statuses,
// the 409, the Webex error body), the signed expiring download link with the CSV, every role, and a
// report of subscribers provisioned and changed through the real provisioning API and jobs.

const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;
const specFile = path.resolve(import.meta.dirname, '../../../shared/reference/webex-broadworks.openapi.json');

function contract() {
  if (!fs.existsSync(specFile)) return null;
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));
  const ajv = new (Ajv as any)({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'webex', components: spec.components });
  const check = (name: string) => (body: unknown) => {
    const validate = ajv.getSchema(`webex#/components/schemas/${name}`);
    assert.ok(validate(body), `${name}: ${ajv.errorsText(validate.errors)} ${JSON.stringify(body)}`);
  };
  return { report: check('Report'), list: check('BillingReportsListResponse'), reportId: check('ReportId') };
}

type Row = Parameters<typeof insertHistoryRows>[1][number];
let n = 0;
function uuid() {
  n++;
  return `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}`;
}
/** History rows of one subscriber from [time, change, state patch] steps, as the partner service writes them. */
function rowsOf(id: string, base: Omit<Row, 'subscriberId' | 'at' | 'change'>, steps: Array<[string, string, Partial<Row>?]>): Row[] {
  let state = { ...base };
  return steps.map(([at, change, patch]) => {
    state = { ...state, ...patch };
    return { ...state, subscriberId: id, at: new Date(at), change };
  });
}
const base = (userId: string, spEnterpriseId = 'SP1+acme', pkg = 'basic') => ({ userId, spEnterpriseId, package: pkg, status: 'provisioning', selfActivated: false, previous: null });
const provisionedAt = (at: string): Array<[string, string, Partial<Row>?]> => [
  [at, 'created'],
  [at, 'status', { status: 'provisioned' }],
];

describe('billing reports API (P16)', () => {
  let t: TestSwitchboard;
  const webex = contract();
  const expectError = (res: { status: number; body: any; headers: Headers }, status: number, errorCode: number, fieldName?: string) => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(typeof res.body.message, 'string');
    assert.equal(res.body.errors[0].errorCode, errorCode, JSON.stringify(res.body));
    if (fieldName) assert.equal(res.body.errors[0].fieldName, fieldName);
    assert.equal(res.body.trackingId, res.headers.get('trackingid'));
  };
  async function completed(id: string) {
    return waitFor(`report ${id} done`, async () => {
      const res = await t.api('GET', `/v1/broadworks/billing/reports/${id}`);
      return res.body.status !== 'IN_PROGRESS' ? res.body : undefined;
    });
  }
  async function csvOf(period: string) {
    const created = await t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: period });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    webex?.reportId(created.body);
    const report = await completed(created.body.id);
    assert.equal(report.status, 'COMPLETED', JSON.stringify(report));
    webex?.report(report);
    const download = await fetch(report.tempDownloadURL);
    assert.equal(download.status, 200);
    assert.match(download.headers.get('content-type')!, /^text\/csv/);
    const lines = (await download.text()).split('\r\n').filter(Boolean);
    const header = parseCsvLine(lines[0]!);
    return { id: created.body.id as string, report, records: lines.slice(1).map((l) => Object.fromEntries(parseCsvLine(l).map((v, i) => [header[i], v]))) };
  }

  before(async () => {
    // Two writer threads on PostgreSQL (the default is one), so reports here are written in lanes.
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5, billingReportThreads: 2 } });
  });
  after(async () => t?.close());

  test('create → IN_PROGRESS, a job with progress completes it; the CSV has the documented fields and exact quantities', async () => {
    const db = t.sb.services.database.db;
    const a = uuid();
    const b = uuid();
    const c = uuid();
    const d = uuid();
    await insertHistoryRows(db, [
      // Whole month, then a package change on the 20th.
      ...rowsOf(a, base('a@sp'), [...provisionedAt('2020-11-03T09:00:00Z'), ['2021-01-20T08:30:00Z', 'package', { package: 'premium', previous: 'basic' }]]),
      // Provisioned on the 10th, user ID changed on the 25th.
      ...rowsOf(b, base('b@sp', 'SP1+globex', 'standard'), [...provisionedAt('2021-01-10T14:00:00Z'), ['2021-01-25T00:00:00Z', 'user_id', { userId: 'b2@sp', previous: 'b@sp' }]]),
      // Removed on the 15th, and re-provisioned (a new subscriber) on the 22nd.
      ...rowsOf(c, base('c@sp'), [...provisionedAt('2020-12-01T00:00:00Z'), ['2021-01-15T10:00:00Z', 'removed']]),
      ...rowsOf(d, base('c@sp'), provisionedAt('2021-01-22T09:00:00Z')),
      // A change exactly at the month's end belongs to February.
      ...rowsOf(uuid(), base('e@sp'), [...provisionedAt('2020-12-01T00:00:00Z'), ['2021-02-01T00:00:00Z', 'package', { package: 'premium' }]]),
    ]);
    await t.api('PUT', '/api/v1/partner/billing/settings', { resellerName: 'Acme Reseller, Inc.' });
    assert.equal((await t.api('PUT', '/api/v1/partner/billing/customers/SP1+globex', { billingId: 'BILL-42', internalTrial: true })).status, 200);

    const created = await t.api('POST', '/api/v1/partner/billing/reports', { billingPeriod: '2021-01' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const first = await t.api('GET', `/v1/broadworks/billing/reports/${created.body.reportId}`);
    assert.ok(['IN_PROGRESS', 'COMPLETED'].includes(first.body.status));
    const done = await completed(created.body.reportId);
    assert.equal(done.status, 'COMPLETED');
    const job = await t.api('GET', `/api/v1/jobs/${created.body.jobId}`);
    assert.equal(job.body.state, 'completed');
    assert.equal(job.body.progressPercent, 100);
    assert.equal(job.body.title, 'Billing report 2021-01');

    const download = await fetch(done.tempDownloadURL);
    const text = await download.text();
    const [header, ...lines] = text.split('\r\n').filter(Boolean);
    assert.equal(header, 'resellerName,billingId,spEnterpriseId,internal,userId,subscriberId,selfActivated,firstStartDate,billingStartDate,billingEndDate,package,quantity');
    const sid = (u: string) => Buffer.from(`ciscospark://us/SUBSCRIBER/${u}`).toString('base64url');
    const expected = [
      `"Acme Reseller, Inc.",,SP1+acme,false,a@sp,${sid(a)},false,2020-11-03,2021-01-01,2021-01-19,basic,0.6129`,
      `"Acme Reseller, Inc.",,SP1+acme,false,a@sp,${sid(a)},false,2020-11-03,2021-01-20,2021-01-31,premium,0.3871`,
      `"Acme Reseller, Inc.",BILL-42,SP1+globex,true,b@sp,${sid(b)},false,2021-01-10,2021-01-10,2021-01-24,standard,0.4839`,
      `"Acme Reseller, Inc.",BILL-42,SP1+globex,true,b2@sp,${sid(b)},false,2021-01-10,2021-01-25,2021-01-31,standard,0.2258`,
      `"Acme Reseller, Inc.",,SP1+acme,false,c@sp,${sid(c)},false,2020-12-01,2021-01-01,2021-01-15,basic,0.4839`,
      `"Acme Reseller, Inc.",,SP1+acme,false,c@sp,${sid(d)},false,2021-01-22,2021-01-22,2021-01-31,basic,0.3226`,
    ];
    // The month-end change is February's: e@sp is basic for all of January.
    assert.deepEqual(lines.filter((l) => !l.includes(',e@sp,')), expected);
    assert.ok(lines.some((l) => l.includes(',e@sp,') && l.endsWith(',2021-01-01,2021-01-31,basic,1')));

    // Totals for the console: by package and by customer.
    const detail = await t.api('GET', `/api/v1/partner/billing/reports/${created.body.id}`);
    assert.equal(detail.body.recordCount, 7);
    assert.deepEqual(detail.body.summary.byPackage, { basic: { records: 4, quantity: 2.4194 }, premium: { records: 1, quantity: 0.3871 }, standard: { records: 2, quantity: 0.7097 } });
    assert.deepEqual(detail.body.summary.byCustomer['SP1+globex'], { records: 2, quantity: 0.7097, byPackage: { standard: 0.7097 } });
    const filtered = await t.api('GET', `/api/v1/partner/billing/reports/${created.body.id}/records?spEnterpriseId=SP1%2Bacme&package=basic`);
    assert.equal(filtered.body.total, 4);
    assert.deepEqual(filtered.body.items.map((r: any) => r.quantity), ['0.6129', '0.4839', '0.3226', '1']);
    const byUser = await t.api('GET', `/api/v1/partner/billing/reports/${created.body.id}/records?userId=B2`);
    assert.deepEqual(byUser.body.items.map((r: any) => [r.userId, r.resellerName]), [['b2@sp', 'Acme Reseller, Inc.']]);

    // February: the change at 00:00 on Feb 1 is February's first day.
    const feb = await csvOf('2021-02');
    assert.deepEqual(feb.records.filter((r) => r.userId === 'e@sp').map((r) => [r.package, r.quantity]), [['premium', '1']]);
    // Past months are computed from the history only: the same CSV whenever generated.
    await t.api('DELETE', `/v1/broadworks/billing/reports/${feb.id}`);
    assert.deepEqual((await csvOf('2021-02')).records, feb.records);
  });

  test('leap and non-leap February from the database', async () => {
    const db = t.sb.services.database.db;
    await insertHistoryRows(db, [...rowsOf(uuid(), base('leap@sp', 'SP1+feb'), provisionedAt('2024-02-15T12:00:00Z')), ...rowsOf(uuid(), base('plain@sp', 'SP1+feb'), provisionedAt('2023-02-15T12:00:00Z'))]);
    const leap = await csvOf('2024-02');
    assert.deepEqual(leap.records.filter((r) => r.spEnterpriseId === 'SP1+feb').map((r) => [r.userId, r.billingStartDate, r.billingEndDate, r.quantity]), [
      ['leap@sp', '2024-02-15', '2024-02-29', '0.5172'],
      ['plain@sp', '2024-02-01', '2024-02-29', '1'],
    ]);
    const plain = await csvOf('2023-02');
    assert.deepEqual(plain.records.filter((r) => r.spEnterpriseId === 'SP1+feb').map((r) => [r.userId, r.billingStartDate, r.billingEndDate, r.quantity]), [['plain@sp', '2023-02-15', '2023-02-28', '0.5']]);
  });

  test('a report of several chunks (in every lane on PostgreSQL) downloads whole, each subscriber once', async () => {
    // 20,000 subscribers make a CSV of about 3.8 MB: several 1 MB chunks, in each of this file's two
    // lanes on PostgreSQL, which the download walks by chunk number across the lanes' gap.
    await t.sb.services.database.pool.query(`
      insert into partner_subscriber_history (subscriber_id, at, change, user_id, sp_enterprise_id, package, status, self_activated)
      select md5('bulk' || g)::uuid, timestamptz '2019-06-10 12:00Z', c, 'bulk' || g || '@sp', 'SP1+bulk', 'standard', s, false
      from generate_series(1, 20000) g, (values ('created', 'provisioning'), ('status', 'provisioned')) v(c, s)`);
    const { records } = await csvOf('2019-07');
    const bulk = records.filter((r) => r.spEnterpriseId === 'SP1+bulk');
    assert.equal(bulk.length, 20_000);
    assert.equal(new Set(bulk.map((r) => r.userId)).size, 20_000);
    assert.ok(bulk.every((r) => r.quantity === '1' && r.billingStartDate === '2019-07-01' && r.billingEndDate === '2019-07-31'));
    const { rows } = await t.sb.services.database.pool.query('select count(*)::int as n from partner_billing_report_chunks c join partner_billing_reports r on r.id = c.report_id where r.billing_period = $1', ['2019-07']);
    assert.ok(rows[0].n >= 3, `${rows[0].n} chunks`);
  });

  test('a report reads only the rows that can change it, and equals prorating every row of the history', async () => {
    // 400 subscribers with years of random history (every status, removals, re-provisioning, package
    // and user ID changes, several on one day), most of it before the month: the report must be what
    // prorateSubscriber makes of all of it, although the rows read skip what came before the month.
    // June 2017: no other test bills a month before 2018, and every one of these subscribers is
    // removed in July 2017, so none of them reaches another test's report.
    let seed = 20170601;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const statuses = ['provisioning', 'provisioned', 'updating', 'error', 'pending_email_input', 'provisioned', 'provisioned'] as const;
    const histories: Row[][] = [];
    for (let k = 0; k < 400; k++) {
      const id = `bbbbbbbb-0000-4000-8000-${String(k).padStart(12, '0')}`;
      let at = Date.parse('2015-07-01T00:00:00Z') + Math.floor(random() * 700) * 86_400_000;
      const steps: Array<[string, string, Partial<Row>?]> = [];
      const length = 1 + Math.floor(random() * 14);
      for (let i = 0; i < length && at < Date.parse('2017-07-01T00:00:00Z'); i++) {
        const change = i === 0 ? 'created' : pick(['status', 'status', 'package', 'user_id', 'removed', 'created']);
        const patch: Partial<Row> =
          change === 'package' ? { package: pick(['softphone', 'basic', 'standard', 'premium']) } : change === 'user_id' ? { userId: `u${k}-${i}@sp` } : change === 'removed' ? {} : { status: pick(statuses) };
        steps.push([new Date(at).toISOString(), change, patch]);
        // Mostly weeks or months apart; sometimes the same instant or the same day.
        at += pick([0, 3_600_000, 86_400_000 * (1 + Math.floor(random() * 400)), 86_400_000 * Math.floor(random() * 10)]);
      }
      steps.push([`2017-07-${String(1 + (k % 31)).padStart(2, '0')}T12:00:00Z`, 'removed']);
      histories.push(rowsOf(id, base(`u${k}@sp`, 'SP9+history', 'basic'), steps));
    }
    await insertHistoryRows(t.sb.services.database.db, histories.flat());

    const month = monthOf(2017, 6);
    const expected: string[] = [];
    for (const rows of histories) {
      const read: HistoryRow[] = rows
        .filter((r) => r.at.getTime() < month.endMs)
        .map((r) => ({ ...r, atMs: Math.floor(r.at.getTime() / 86_400_000) * 86_400_000 }));
      for (const r of prorateSubscriber(read, month)) {
        expected.push([r.userId, toSubscriberId(r.subscriberId), r.package, r.firstStartDate, r.billingStartDate, r.billingEndDate, formatQuantity(r.quantity4)].join(' '));
      }
    }
    const { records } = await csvOf('2017-06');
    const got = records.filter((r) => r.spEnterpriseId === 'SP9+history').map((r) => [r.userId, r.subscriberId, r.package, r.firstStartDate, r.billingStartDate, r.billingEndDate, r.quantity].join(' '));
    assert.ok(expected.length > 150, `${expected.length} records expected`);
    assert.deepEqual(got.sort(), expected.sort());

    // Most of those rows were not read: the month's own, and per subscriber the last and the first billable before it.
    let read = 0;
    for await (const batch of historyBySubscriber(t.sb.services.database, month)) read += batch.filter((r) => r.spEnterpriseId === 'SP9+history').length;
    const before = histories.flat().filter((r) => r.at.getTime() < month.endMs).length;
    assert.ok(read < before * 0.6, `${read} of ${before} rows read`);
  });

  test('the history is read in pages of whole subscribers, also when one subscriber is longer than a page', async () => {
    const db = t.sb.services.database.db;
    const many = uuid();
    const steps: Array<[string, string, Partial<Row>?]> = [...provisionedAt('2019-03-01T00:00:00Z')];
    for (let i = 1; i <= 9; i++) steps.push([`2019-03-${String(i + 1).padStart(2, '0')}T00:00:00Z`, 'package', { package: i % 2 ? 'premium' : 'basic' }]);
    await insertHistoryRows(db, rowsOf(many, base('many@sp'), steps));
    const march = monthOf(2019, 3);
    const whole: string[] = [];
    for await (const batch of historyBySubscriber(t.sb.services.database, march, 100_000)) whole.push(...batch.map((r) => `${r.subscriberId}@${r.atMs}`));
    const paged: string[] = [];
    for await (const batch of historyBySubscriber(t.sb.services.database, march, 3)) {
      // Each page ends on a subscriber boundary.
      const lastId = batch[batch.length - 1]!.subscriberId;
      assert.ok(!paged.some((p) => p.startsWith(lastId)), 'a subscriber is split across pages');
      paged.push(...batch.map((r) => `${r.subscriberId}@${r.atMs}`));
    }
    assert.deepEqual(paged, whole);
    assert.equal(whole.filter((w) => w.startsWith(many)).length, 11);
  });

  test('a chunk that cannot be stored fails the report, also while the next chunk is being written', async () => {
    // 12,000 subscribers of March 2015 (removed on April 1st, so no other report sees them): about
    // 2.3 MB of CSV, three chunks, written for a report that does not exist — every insert fails.
    await t.sb.services.database.pool.query(`
      insert into partner_subscriber_history (subscriber_id, at, change, user_id, sp_enterprise_id, package, status, self_activated)
      select md5('orphan' || g)::uuid, at, c, 'orphan' || g || '@sp', 'SP1+orphan', 'basic', s, false
      from generate_series(1, 12000) g,
        (values (timestamptz '2015-03-02 10:00Z', 'created', 'provisioning'), (timestamptz '2015-03-02 10:01Z', 'status', 'provisioned'), (timestamptz '2015-04-01 00:00Z', 'removed', 'provisioned')) v(at, c, s)`);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await assert.rejects(
        writeReportCsv(t.sb.services.database, { reportId: crypto.randomUUID(), billingPeriod: '2015-03', resellerName: 'R', customers: [] }, async () => {}),
        /foreign key/,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('a report written in lanes (parts of the subscriber ID space) is the report written whole', async () => {
    assert.deepEqual(laneRanges(1), [{ from: null, to: null }]);
    assert.deepEqual(laneRanges(2), [
      { from: null, to: '80000000-0000-0000-0000-000000000000' },
      { from: '80000000-0000-0000-0000-000000000000', to: null },
    ]);
    const database = t.sb.services.database;
    // Subscribers all over the ID space, on both sides of every lane boundary below.
    const ids = ['00000000-0000-4000-8000-000000000001', '3fffffff-ffff-4fff-bfff-ffffffffffff', '55555555-5555-4555-8555-555555555555', '7fffffff-0000-4000-8000-000000000000', '80000000-0000-0000-0000-000000000000', 'aaaaaaaa-ffff-4000-8000-000000000000', 'ffffffff-ffff-4fff-bfff-ffffffffffff'];
    for (const [k, id] of ids.entries()) {
      const steps = [...provisionedAt(`2018-0${1 + (k % 3)}-0${1 + k}T10:00:00Z`)];
      if (k % 2) steps.push([`2018-05-${String(10 + k).padStart(2, '0')}T10:00:00Z`, 'package', { package: 'premium' }]);
      await insertHistoryRows(database.db, rowsOf(id, base(`lane${k}@sp`, `SP1+lane${k % 2}`), steps));
    }
    const input = { billingPeriod: '2018-05', resellerName: 'Reseller, "Quoted"', customers: [{ spEnterpriseId: 'SP1+lane1', billingId: 'B-1', internalTrial: true }] };
    const write = async (lanes: number) => {
      const reportId = crypto.randomUUID();
      await insertReport(database.db, { id: reportId, billingPeriod: `lanes-${reportId}`, status: 'IN_PROGRESS', created: new Date(), createdByName: 'test' });
      const outputs = [];
      for (const [k, range] of laneRanges(lanes).entries()) outputs.push(await writeReportCsv(database, { ...input, reportId, lane: { range, firstSeq: k * 1_000_000, header: k === 0 } }, async () => {}));
      const { rows } = await database.pool.query('select data from partner_billing_report_chunks where report_id = $1 order by seq', [reportId]);
      return { csv: Buffer.concat(rows.map((r: { data: Buffer }) => r.data)).toString('utf8'), ...mergeLaneOutputs(outputs) };
    };
    const whole = await write(1);
    assert.equal(whole.subscribers, ids.length);
    assert.ok(whole.records > ids.length, 'the package changes split some subscribers into two records');
    assert.match(whole.csv, /^resellerName,billingId,/);
    for (const lanes of [2, 3, 7]) {
      const inLanes = await write(lanes);
      assert.equal(inLanes.csv, whole.csv, `${lanes} lanes`);
      assert.deepEqual(inLanes.summary, whole.summary, `${lanes} lanes`);
      assert.equal(inLanes.records, whole.records);
      assert.equal(inLanes.bytes, whole.bytes);
    }
  });

  test('a month is created once: 409 with a clear message until its report is deleted', async () => {
    const first = await t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: '2022-03' });
    assert.equal(first.status, 200);
    const again = await t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: '2022-03' });
    expectError(again, 409, 2025, 'billingPeriod');
    assert.match(again.body.message, /already exists.*Delete it first/);
    assert.equal((await t.api('DELETE', `/v1/broadworks/billing/reports/${first.body.id}`)).status, 204);
    expectError(await t.api('GET', `/v1/broadworks/billing/reports/${first.body.id}`), 404, 2024);
    expectError(await t.api('DELETE', `/v1/broadworks/billing/reports/${first.body.id}`), 404, 2024);
    const recreated = await t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: '2022-03' });
    assert.equal(recreated.status, 200);
    assert.notEqual(recreated.body.id, first.body.id);
    // Two at once: one wins, the other gets the 409.
    const race = await Promise.all([1, 2].map(() => t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: '2022-04' })));
    assert.deepEqual(race.map((r) => r.status).sort(), [200, 409]);
  });

  test('bad input: the Webex error body (month format, missing, unknown field, future month, unknown ID)', async () => {
    for (const billingPeriod of ['2021-13', '2021-1', '202101', 'May 2021', '2021-05-01']) {
      expectError(await t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod }), 400, 1003, 'billingPeriod');
    }
    expectError(await t.api('POST', '/v1/broadworks/billing/reports', {}), 400, 1001, 'billingPeriod');
    expectError(await t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: '2021-05', extra: 1 }), 400, 1003);
    expectError(await t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: '2999-01' }), 400, 1003, 'billingPeriod');
    expectError(await t.api('GET', '/v1/broadworks/billing/reports?before=2021'), 400, 1003, 'before');
    expectError(await t.api('GET', '/v1/broadworks/billing/reports/nope'), 404, 2024);
    // The console API answers the platform envelope for the same mistake.
    const consoleBad = await t.api('POST', '/api/v1/partner/billing/reports', { billingPeriod: '2021-13' });
    assert.equal(consoleBad.status, 400);
    assert.equal(consoleBad.body.error.code, 'VALIDATION_FAILED');
  });

  test('list: Webex shape, before/after filters, sorted by billing period (newest first)', async () => {
    const res = await t.api('GET', '/v1/broadworks/billing/reports');
    assert.equal(res.status, 200);
    webex?.list(res.body);
    const periods = res.body.items.map((r: any) => r.billingPeriod);
    assert.deepEqual(periods, [...periods].sort().reverse());
    for (const item of res.body.items) assert.deepEqual(Object.keys(item).sort(), ['billingPeriod', 'id', 'status']);
    const window = await t.api('GET', '/v1/broadworks/billing/reports?after=2021-01&before=2023-02');
    assert.ok(window.body.items.length > 0);
    for (const item of window.body.items) assert.ok(item.billingPeriod > '2021-01' && item.billingPeriod < '2023-02', item.billingPeriod);
  });

  test('the download link is signed and expires: altered or expired links answer 403', async () => {
    const { id, report } = await csvOf('2020-07');
    const url = new URL(report.tempDownloadURL);
    const expires = Number(url.searchParams.get('expires'));
    assert.ok(Math.abs(expires - (Date.now() / 1000 + 3600)) < 120, 'valid for an hour');
    // No session needed: the link is the credential.
    assert.equal((await t.api('GET', url.pathname + url.search, undefined, { token: null })).status, 200);
    const altered = new URL(url);
    altered.searchParams.set('token', `${url.searchParams.get('token')!.slice(0, -4)}AAAA`);
    expectError(await t.api('GET', altered.pathname + altered.search, undefined, { token: null }), 403, 2026);
    // Another report's link does not open this one.
    const other = (await t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: '2020-08' })).body.id;
    const otherUrl = new URL(url);
    otherUrl.pathname = `/v1/broadworks/billing/reports/${other}/download`;
    expectError(await t.api('GET', otherUrl.pathname + otherUrl.search, undefined, { token: null }), 403, 2026);
    // A link that expired a second ago.
    const reportUuid = Buffer.from(id, 'base64url').toString().split('/').pop();
    const expired = t.sb.services.secrets.seal(JSON.stringify({ r: reportUuid, e: Date.now() - 1000 }));
    const res = await t.api('GET', `/v1/broadworks/billing/reports/${id}/download?token=${encodeURIComponent(expired)}`, undefined, { token: null });
    expectError(res, 403, 2026);
    assert.match(res.body.message, /expired/);
    // A deleted report's link is dead too.
    await t.api('DELETE', `/v1/broadworks/billing/reports/${id}`);
    expectError(await t.api('GET', url.pathname + url.search, undefined, { token: null }), 404, 2024);
  });

  test('roles: create and delete need partner or sales full admin; list and get also read-only admin; others 403', async () => {
    const allowed = { create: ['partner_full_admin', 'sales_full_admin'], read: ['partner_full_admin', 'sales_full_admin', 'read_only_admin'] };
    const months: Record<string, string> = { partner_full_admin: '2018-01', sales_full_admin: '2018-02' };
    const existing = (await t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: '2018-03' })).body.id;
    for (const role of roles as readonly Role[]) {
      const token = await t.tokenFor(role);
      const canCreate = allowed.create.includes(role);
      const canRead = allowed.read.includes(role);
      const create = await t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: months[role] ?? '2018-04' }, { token });
      if (canCreate) assert.equal(create.status, 200, `${role} create`);
      else expectError(create, 403, 1403);
      const list = await t.api('GET', '/v1/broadworks/billing/reports', undefined, { token });
      const get = await t.api('GET', `/v1/broadworks/billing/reports/${existing}`, undefined, { token });
      const consoleList = await t.api('GET', '/api/v1/partner/billing/reports', undefined, { token });
      for (const res of [list, get, consoleList]) assert.equal(res.status, canRead ? 200 : 403, `${role} read`);
      if (!canRead) expectError(get, 403, 1403);
      const del = await t.api('DELETE', `/v1/broadworks/billing/reports/${canCreate ? create.body.id : existing}`, undefined, { token });
      if (canCreate) assert.equal(del.status, 204, `${role} delete`);
      else expectError(del, 403, 1403);
      const settings = await t.api('PUT', '/api/v1/partner/billing/settings', { resellerName: 'X' }, { token });
      assert.equal(settings.status, canCreate ? 200 : 403, `${role} settings`);
    }
    expectError(await t.api('GET', '/v1/broadworks/billing/reports', undefined, { token: null }), 401, 1401);
  });

  test('through the real provisioning API and jobs: provisioned today, package changed today → the new package from today to the month end', async () => {
    const { template } = await createClusterAndTemplate(t, { name: 'billing-real' });
    const body = subscriberBody(template.provisioningId, { spEnterpriseId: 'SP1+real', package: 'standard' });
    const created = await t.api('POST', '/v1/broadworks/subscribers', body);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    await waitForStatus(t, created.body.id, ['provisioned']);
    const otherBody = subscriberBody(template.provisioningId, { spEnterpriseId: 'SP1+real', package: 'basic' });
    const other = await t.api('POST', '/v1/broadworks/subscribers', otherBody);
    await waitForStatus(t, other.body.id, ['provisioned']);
    assert.equal((await t.api('PUT', `/v1/broadworks/subscribers/${created.body.id}`, { package: 'premium' })).status, 200);
    await waitFor('package applied', async () => {
      const res = await t.api('GET', `/v1/broadworks/subscribers/${created.body.id}`);
      return res.body.status === 'provisioned' && res.body.package === 'premium';
    });
    assert.equal((await t.api('DELETE', `/v1/broadworks/subscribers/${other.body.id}`)).status, 204);

    const now = new Date();
    const period = now.toISOString().slice(0, 7);
    const today = now.toISOString().slice(0, 10);
    const days = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
    const { records } = await csvOf(period);
    const mine = records.filter((r) => r.spEnterpriseId === 'SP1+real');
    const monthEnd = `${period}-${String(days).padStart(2, '0')}`;
    const remaining = days - now.getUTCDate() + 1;
    const row = (r: Record<string, string>) => [r.userId, r.package, r.firstStartDate, r.billingStartDate, r.billingEndDate, r.quantity, r.subscriberId];
    // The day's last billable package is premium (standard gets no record); the subscriber removed
    // today is billed its one day.
    assert.deepEqual(mine.map(row).sort(), [
      [body.userId, 'premium', today, today, monthEnd, String(Math.round((remaining * 10_000) / days) / 10_000), created.body.id],
      [otherBody.userId, 'basic', today, today, today, String(Math.round(10_000 / days) / 10_000), other.body.id],
    ].sort());
  });
});
