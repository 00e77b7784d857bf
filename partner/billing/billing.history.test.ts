import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { historyTupleDecoder } from './billing.history.ts';
import type { HistoryRow } from './billing.proration.ts';

// P16: the history rows of a report arrive on PostgreSQL as a binary COPY stream, cut into chunks
// wherever the socket cuts them.

const DAY_MS = 86_400_000;

/** PostgreSQL's binary COPY format for the history select's columns, as its documentation gives it. */
function copyBinary(rows: HistoryRow[]): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.from([0, 0, 0, 0]), Buffer.from([0, 0, 0, 4]), Buffer.from('ext!')];
  const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeInt32BE(bytes.length);
    return [length, bytes];
  };
  for (const r of rows) {
    const day = Buffer.alloc(4);
    day.writeInt32BE(r.atMs / DAY_MS);
    parts.push(int16(8));
    for (const bytes of [Buffer.from(r.subscriberId), day, Buffer.from(r.change), Buffer.from(r.userId), Buffer.from(r.spEnterpriseId), Buffer.from(r.package), Buffer.from(r.status), Buffer.from([r.selfActivated ? 1 : 0])]) parts.push(...field(bytes));
  }
  parts.push(int16(-1));
  return Buffer.concat(parts);
}

const rows: HistoryRow[] = [
  { subscriberId: '00000000-0000-4000-8000-000000000001', atMs: 18_000 * DAY_MS, change: 'created', userId: 'ann@sp', spEnterpriseId: 'SP1+acme', package: 'basic', status: 'provisioning', selfActivated: false },
  { subscriberId: '00000000-0000-4000-8000-000000000001', atMs: 18_001 * DAY_MS, change: 'status', userId: 'ann@sp', spEnterpriseId: 'SP1+acme', package: 'basic', status: 'provisioned', selfActivated: false },
  // Text beyond ASCII, a tab and a new line (which the text format would escape), an empty field, a negative day.
  { subscriberId: 'ffffffff-ffff-4fff-bfff-ffffffffffff', atMs: -3 * DAY_MS, change: 'user_id', userId: 'zoë\t\n@sp', spEnterpriseId: '', package: 'premium', status: 'provisioned', selfActivated: true },
];

describe('the binary COPY stream of the history (P16)', () => {
  test('rows decode whole wherever the stream is cut, also inside a length or a multi-byte character', () => {
    const stream = copyBinary(rows);
    for (let cut = 1; cut < stream.length; cut++) {
      const decode = historyTupleDecoder();
      const out: HistoryRow[] = [];
      decode(stream.subarray(0, cut), out);
      decode(stream.subarray(cut), out);
      decode.end();
      assert.deepEqual(out, rows, `cut at byte ${cut}`);
    }
    const decode = historyTupleDecoder();
    const out: HistoryRow[] = [];
    for (let i = 0; i < stream.length; i++) decode(stream.subarray(i, i + 1), out);
    decode.end();
    assert.deepEqual(out, rows, 'one byte at a time');
  });

  test('a stream that ends inside a row, or is not binary COPY, is an error', () => {
    const stream = copyBinary(rows);
    const cut = historyTupleDecoder();
    cut(stream.subarray(0, stream.length - 10), []);
    assert.throws(() => cut.end(), /ended in the middle of a row/);
    assert.throws(() => historyTupleDecoder()(Buffer.from('subscriber_id\tday\n'.repeat(3)), []), /not in PostgreSQL's binary COPY format/);
  });
});
