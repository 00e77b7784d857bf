import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { billingMonth, parseCsvLine } from './billing.service.ts';
import { prorateSubscriber } from './billing.proration.ts';
import type { HistoryRow } from './billing.proration.ts';

// P16 proration rules on one subscriber's history, with exact quantities: calendar days in UTC, a
// day billed to the last billable state held during it, quantity = days / days in month (4 dp).

const SUB = '11111111-1111-4111-8111-111111111111';
const at = (iso: string) => Date.parse(iso);
type Step = [iso: string, change: string, patch?: Partial<HistoryRow>];

/** A history from steps: each row carries the whole state after it, as the partner service records it. */
function history(steps: Step[], start: Partial<HistoryRow> = {}): HistoryRow[] {
  let state: HistoryRow = { subscriberId: SUB, atMs: 0, change: 'created', userId: 'alice@sp', spEnterpriseId: 'SP+acme', package: 'basic', status: 'provisioning', selfActivated: false, ...start };
  return steps.map(([iso, change, patch]) => (state = { ...state, ...patch, change, atMs: at(iso) }));
}
const provisioned = (iso: string, patch: Partial<HistoryRow> = {}): Step[] => [
  [iso, 'created', { status: 'provisioning', ...patch }],
  [iso, 'status', { status: 'provisioned' }],
];
const records = (rows: HistoryRow[], period: string) =>
  prorateSubscriber(rows, billingMonth(period)).map((r) => ({ userId: r.userId, package: r.package, from: r.billingStartDate, to: r.billingEndDate, quantity: r.quantity4 / 10_000, first: r.firstStartDate }));

describe('billing proration (P16)', () => {
  test('months have their calendar length in UTC, leap years included', () => {
    assert.equal(billingMonth('2021-01').days, 31);
    assert.equal(billingMonth('2021-04').days, 30);
    assert.equal(billingMonth('2023-02').days, 28);
    assert.equal(billingMonth('2024-02').days, 29);
    assert.equal(billingMonth('2000-02').days, 29);
    assert.equal(billingMonth('2100-02').days, 28);
    assert.equal(new Date(billingMonth('2021-12').endMs).toISOString(), '2022-01-01T00:00:00.000Z');
    for (const bad of ['2021-13', '2021-1', '21-01', '2021-00', '2021/01', '2021-01-01', '']) assert.throws(() => billingMonth(bad), /YYYY-MM/);
  });

  test('a subscriber provisioned before the month is billed the whole month: quantity 1', () => {
    assert.deepEqual(records(history(provisioned('2020-11-03T09:00:00Z')), '2021-01'), [{ userId: 'alice@sp', package: 'basic', from: '2021-01-01', to: '2021-01-31', quantity: 1, first: '2020-11-03' }]);
  });

  test('changes before the month: the whole month goes to the state the subscriber entered it with', () => {
    const changed = history([
      ...provisioned('2020-10-05T08:00:00Z'),
      ['2020-11-20T12:00:00Z', 'package', { package: 'premium' }],
      ['2020-12-02T12:00:00Z', 'status', { status: 'error' }],
      ['2020-12-03T12:00:00Z', 'status', { status: 'provisioned' }],
      ['2020-12-30T12:00:00Z', 'user_id', { userId: 'alice2@sp' }],
    ]);
    assert.deepEqual(records(changed, '2021-01'), [{ userId: 'alice2@sp', package: 'premium', from: '2021-01-01', to: '2021-01-31', quantity: 1, first: '2020-10-05' }]);
    // Entering the month in a state that is not billable: nothing, whatever came before.
    const errored = history([...provisioned('2020-10-05T08:00:00Z'), ['2020-12-02T12:00:00Z', 'status', { status: 'error' }]]);
    assert.deepEqual(records(errored, '2021-01'), []);
    assert.deepEqual(records(history([['2020-12-01T00:00:00Z', 'created', { status: 'pending_email_validation' }]]), '2021-01'), []);
  });

  test('provisioned mid-month: billed from that date (22/31); removed mid-month: to the removal date (15/31)', () => {
    assert.deepEqual(records(history(provisioned('2021-01-10T14:00:00Z')), '2021-01'), [{ userId: 'alice@sp', package: 'basic', from: '2021-01-10', to: '2021-01-31', quantity: 0.7097, first: '2021-01-10' }]);
    const removed = history([...provisioned('2020-12-01T00:00:00Z'), ['2021-01-15T10:00:00Z', 'removed']]);
    assert.deepEqual(records(removed, '2021-01'), [{ userId: 'alice@sp', package: 'basic', from: '2021-01-01', to: '2021-01-15', quantity: 0.4839, first: '2020-12-01' }]);
    // Removed before the month: nothing.
    assert.deepEqual(records(removed, '2021-02'), []);
  });

  test('a package change inside the month splits the month: the change day goes to the new package', () => {
    const rows = history([...provisioned('2020-12-01T00:00:00Z'), ['2021-01-20T08:30:00Z', 'package', { package: 'premium' }]]);
    assert.deepEqual(records(rows, '2021-01'), [
      { userId: 'alice@sp', package: 'basic', from: '2021-01-01', to: '2021-01-19', quantity: 0.6129, first: '2020-12-01' },
      { userId: 'alice@sp', package: 'premium', from: '2021-01-20', to: '2021-01-31', quantity: 0.3871, first: '2020-12-01' },
    ]);
  });

  test('changes on the first and on the last day of the month', () => {
    const first = history([...provisioned('2020-12-01T00:00:00Z'), ['2021-01-01T00:00:00Z', 'package', { package: 'premium' }]]);
    assert.deepEqual(records(first, '2021-01'), [{ userId: 'alice@sp', package: 'premium', from: '2021-01-01', to: '2021-01-31', quantity: 1, first: '2020-12-01' }]);
    // The old package was still held on Dec 31: December is basic to its last day.
    assert.deepEqual(records(first, '2020-12'), [{ userId: 'alice@sp', package: 'basic', from: '2020-12-01', to: '2020-12-31', quantity: 1, first: '2020-12-01' }]);
    const last = history([...provisioned('2020-12-01T00:00:00Z'), ['2021-01-31T23:59:59Z', 'package', { package: 'premium' }]]);
    assert.deepEqual(records(last, '2021-01'), [
      { userId: 'alice@sp', package: 'basic', from: '2021-01-01', to: '2021-01-30', quantity: 0.9677, first: '2020-12-01' },
      { userId: 'alice@sp', package: 'premium', from: '2021-01-31', to: '2021-01-31', quantity: 0.0323, first: '2020-12-01' },
    ]);
    const lastRemoval = history([...provisioned('2020-12-01T00:00:00Z'), ['2021-01-31T23:59:59Z', 'removed']]);
    assert.deepEqual(records(lastRemoval, '2021-01').map((r) => r.quantity), [1]);
    const firstRemoval = history([...provisioned('2020-12-01T00:00:00Z'), ['2021-01-01T00:00:01Z', 'removed']]);
    assert.deepEqual(records(firstRemoval, '2021-01').map((r) => [r.to, r.quantity]), [['2021-01-01', 0.0323]]);
  });

  test('several changes in one month: package twice, the BroadWorks user ID, then removal', () => {
    const rows = history([
      ...provisioned('2020-06-01T00:00:00Z'),
      ['2021-01-05T10:00:00Z', 'package', { package: 'standard' }],
      ['2021-01-10T10:00:00Z', 'status', { status: 'updating' }],
      ['2021-01-10T10:00:05Z', 'package', { package: 'premium' }],
      ['2021-01-10T10:00:05Z', 'status', { status: 'provisioned' }],
      ['2021-01-20T12:00:00Z', 'user_id', { userId: 'alice.new@sp' }],
      ['2021-01-25T18:00:00Z', 'removed'],
    ]);
    assert.deepEqual(records(rows, '2021-01'), [
      { userId: 'alice@sp', package: 'basic', from: '2021-01-01', to: '2021-01-04', quantity: 0.129, first: '2020-06-01' },
      { userId: 'alice@sp', package: 'standard', from: '2021-01-05', to: '2021-01-09', quantity: 0.1613, first: '2020-06-01' },
      { userId: 'alice@sp', package: 'premium', from: '2021-01-10', to: '2021-01-19', quantity: 0.3226, first: '2020-06-01' },
      { userId: 'alice.new@sp', package: 'premium', from: '2021-01-20', to: '2021-01-25', quantity: 0.1935, first: '2020-06-01' },
    ]);
  });

  test('only provisioned (and updating) time is billable: pending, provisioning and error days are not', () => {
    const rows = history([
      ['2021-01-03T10:00:00Z', 'created', { status: 'pending_email_input' }],
      ['2021-01-05T10:00:00Z', 'status', { status: 'pending_email_validation' }],
      ['2021-01-07T10:00:00Z', 'status', { status: 'provisioning' }],
      ['2021-01-08T10:00:00Z', 'status', { status: 'provisioned' }],
      ['2021-01-12T10:00:00Z', 'status', { status: 'error' }],
      ['2021-01-20T10:00:00Z', 'status', { status: 'provisioning' }],
      ['2021-01-20T10:00:30Z', 'status', { status: 'provisioned' }],
    ]);
    // Jan 12 is billed: provisioned was held that day before the error.
    assert.deepEqual(records(rows, '2021-01'), [
      { userId: 'alice@sp', package: 'basic', from: '2021-01-08', to: '2021-01-12', quantity: 0.1613, first: '2021-01-08' },
      { userId: 'alice@sp', package: 'basic', from: '2021-01-20', to: '2021-01-31', quantity: 0.3871, first: '2021-01-08' },
    ]);
    // Never provisioned: nothing billed.
    assert.deepEqual(records(history([['2021-01-03T10:00:00Z', 'created', { status: 'pending_email_input' }]]), '2021-01'), []);
  });

  test('provisioned and removed on the same day is one day', () => {
    const rows = history([...provisioned('2021-04-10T08:00:00Z'), ['2021-04-10T17:00:00Z', 'removed']]);
    assert.deepEqual(records(rows, '2021-04'), [{ userId: 'alice@sp', package: 'basic', from: '2021-04-10', to: '2021-04-10', quantity: 0.0333, first: '2021-04-10' }]);
  });

  test('February: 15 days of 29 in 2024 (leap), 14 of 28 in 2023', () => {
    assert.deepEqual(records(history(provisioned('2024-02-15T12:00:00Z')), '2024-02').map((r) => [r.from, r.to, r.quantity]), [['2024-02-15', '2024-02-29', 0.5172]]);
    assert.deepEqual(records(history(provisioned('2023-02-15T12:00:00Z')), '2023-02').map((r) => [r.from, r.to, r.quantity]), [['2023-02-15', '2023-02-28', 0.5]]);
    assert.deepEqual(records(history(provisioned('2023-01-15T12:00:00Z')), '2023-02').map((r) => r.quantity), [1]);
    const change = history([...provisioned('2024-01-01T00:00:00Z'), ['2024-02-29T06:00:00Z', 'package', { package: 'standard' }]]);
    assert.deepEqual(records(change, '2024-02').map((r) => [r.package, r.quantity]), [['basic', 0.9655], ['standard', 0.0345]]);
  });

  test('the time zone is UTC: 23:30 UTC on the 9th is the 9th, whatever the subscriber timezone', () => {
    assert.deepEqual(records(history(provisioned('2021-01-09T23:30:00Z')), '2021-01').map((r) => r.from), ['2021-01-09']);
    assert.deepEqual(records(history(provisioned('2021-01-10T00:30:00+02:00')), '2021-01').map((r) => r.from), ['2021-01-09']);
  });

  test('CSV lines parse back, quotes and commas included', () => {
    assert.deepEqual(parseCsvLine('a,"b,c","d ""q""",,e'), ['a', 'b,c', 'd "q"', '', 'e']);
  });
});
