import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { billableStatuses, type BillingMonth, type HistoryRow } from './billing.proration.ts';

const DAY_MS = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// The reads and writes of report generation (P16), in plain SQL on a pg pool: they also run in the
// report's writer threads, which have their own pool and no ORM (see billing.report-thread.ts).

/** Where the history is read from: the server's Database, or a writer thread's own pool. */
export type HistorySource = { mode: 'embedded' | 'postgres'; pool: Pick<pg.Pool, 'query' | 'connect'> };
/** A part of the subscriber ID space, `from` included, `to` excluded; null: unbounded. */
export type SubscriberRange = { from: string | null; to: string | null };

/**
 * The history a month's report needs, subscriber by subscriber and in time order (each change's
 * time as the start of its UTC day: see the select), as batches of complete subscribers (about
 * `batchSize` rows each), read as a stream (PostgreSQL) or in keyset pages (embedded), so memory stays
 * bounded whatever the size of the history.
 *
 * Of the rows before the month only two can change a subscriber's records (see prorateSubscriber):
 * the last one (the state the month starts in) and the first billable one (its firstStartDate).
 * The others are left in the database, so the rows read grow with the subscribers and the month's
 * changes, not with the years of history behind them (the bench's 2.1 M rows: 1.1 M read).
 *
 * The subscriber index holds every column the report reads: after a VACUUM (see
 * `prepareHistoryScan`) the select walks that index alone, already in order — no sort of the whole
 * history, no heap read per row; the window functions that pick the rows follow that order. Takes the
 * Database rather than a Db: with PostgreSQL the stream has a connection of its own (inside a
 * read-only transaction); embedded, each page is a query on the pool's only connection, which the
 * job's progress and the API use between pages. The next batch is read while the caller works on the
 * current one. Batches of 5,000 rows: the same CPU as larger ones, and a smaller peak heap (measured:
 * 188 MB against 230 MB RSS at 20,000).
 */
export async function* historyBySubscriber(
  database: HistorySource,
  month: Pick<BillingMonth, 'startMs' | 'endMs'>,
  batchSize = 5_000,
  range: SubscriberRange = { from: null, to: null },
): AsyncGenerator<HistoryRow[]> {
  const bound = (op: string, id: string | null) => {
    if (id === null) return '';
    if (!UUID.test(id)) throw new Error(`Not a subscriber ID bound: ${id}`);
    return ` and subscriber_id ${op} '${id}'::uuid`;
  };
  const start = new Date(month.startMs).toISOString();
  const end = new Date(month.endMs).toISOString();
  // What billable means is prorateSubscriber's: its statuses, and never a removal.
  const billable = `(change <> 'removed' and status in (${[...billableStatuses].map((s) => `'${s.replace(/'/g, "''")}'`).join(', ')}))`;
  // The report's unit is the UTC day, so a change's time is read as its day number since the epoch (an
  // int4: cheaper to print and parse than a timestamp or a float) and becomes the start of that day;
  // the order within a day comes from the query. date_part, not extract: extract returns numeric
  // since PostgreSQL 14, and its arithmetic cost 2.3 s against 0.5 s on 2.1 M rows. `after` (a
  // subscriber ID, exclusive) and `limit` make the keyset pages of the embedded database.
  const select = (after: string | null = null, limit?: number) => `select h.subscriber_id::text, day, change, user_id, sp_enterprise_id, package, status, self_activated from (
      select subscriber_id, at, id, floor(date_part('epoch', at) / 86400)::int4 as day, change, user_id, sp_enterprise_id, package, status, self_activated,
        lead(at) over w as next_at, ${billable} as billable, count(*) filter (where ${billable}) over w as billable_so_far
      from partner_subscriber_history where at < '${end}'::timestamptz${bound('>=', range.from)}${bound('>', after)}${bound('<', range.to)}
      window w as (partition by subscriber_id order by at, id)
    ) h where at >= '${start}'::timestamptz or next_at is null or next_at >= '${start}'::timestamptz or (billable and billable_so_far = 1)
    order by h.subscriber_id, h.at, h.id${limit ? ` limit ${limit}` : ''}`;
  // Keyset pages end at a whole subscriber already; the COPY stream's lots may end inside one.
  if (database.mode === 'embedded') return yield* keysetRows(database.pool, select, batchSize);
  let carry: HistoryRow[] = [];
  for await (const read of copyRows(database.pool, select(), batchSize)) {
    const rows = carry.length ? carry.concat(read) : read;
    // The rows read may end inside a subscriber: its rows wait for the next ones.
    const lastId = rows[rows.length - 1]!.subscriberId;
    let cut = rows.length;
    while (cut > 0 && rows[cut - 1]!.subscriberId === lastId) cut--;
    carry = cut > 0 ? rows.slice(cut) : rows;
    if (cut > 0) yield cut === rows.length ? rows : rows.slice(0, cut);
  }
  if (carry.length) yield carry;
}

/**
 * Embedded: the select in keyset pages of about `batchSize` rows, each a statement of its own that
 * starts after the last whole subscriber of the one before, the next page read while the caller works
 * on the current one. PGlite hands back a statement's whole result at once, so a page is all it holds;
 * the select follows the subscriber index's order (no sort), so each page starts with a descent of the
 * index and stops at its limit. A cursor WITH HOLD (what this replaced) ran the whole select at its
 * COMMIT, holding the one connection — the API's, /readyz's — for seconds, and stored all 1.1 M rows
 * of the bench in the session's hold store, which grew PGlite's WASM memory for good.
 */
async function* keysetRows(pool: HistorySource['pool'], select: (after: string | null, limit: number) => string, batchSize: number): AsyncGenerator<HistoryRow[]> {
  // Rows as arrays, made into objects of one shape here: cheaper than the driver's objects, whose
  // properties it adds one by one by column name.
  const fetchPage = async (after: string | null, limit: number) =>
    (await pool.query({ text: select(after, limit), rowMode: 'array' })).rows.map(
      (r: any[]): HistoryRow => ({ subscriberId: r[0], atMs: r[1] * DAY_MS, change: r[2], userId: r[3], spEnterpriseId: r[4], package: r[5], status: r[6], selfActivated: r[7] }),
    );
  let after: string | null = null;
  let limit = batchSize;
  let pending: Promise<HistoryRow[]> | null = fetchPage(after, limit);
  try {
    while (pending) {
      const rows: HistoryRow[] = await pending;
      pending = null;
      if (rows.length < limit) {
        if (rows.length) yield rows;
        return;
      }
      // A full page may end inside a subscriber: that one is read again, whole, by the next page.
      const lastId = rows[rows.length - 1]!.subscriberId;
      let cut = rows.length;
      while (cut > 0 && rows[cut - 1]!.subscriberId === lastId) cut--;
      if (cut === 0) {
        // One subscriber with more rows than a page: the same page again, larger.
        limit *= 2;
        pending = fetchPage(after, limit);
        continue;
      }
      after = rows[cut - 1]!.subscriberId;
      limit = batchSize;
      pending = fetchPage(after, limit);
      yield cut === rows.length ? rows : rows.slice(0, cut);
    }
  } finally {
    // The caller may stop early (an error): a fetch still in flight must not become an unhandled rejection.
    await pending?.catch(() => undefined);
  }
}

/**
 * PostgreSQL: the select as one `COPY … TO STDOUT (FORMAT binary)` on a connection of its own,
 * inside a read-only transaction, in lots of about `batchSize` rows. Measured on the bench's 1.1 M
 * rows against a cursor fetching 5,000 at a time: 3.5 s instead of 5.5–6.7 s until the last row, and
 * 1.7 s instead of 2.4–2.9 s of this thread's CPU — the server streams without a round trip per
 * batch, and the rows need no text decoding of numbers and booleans. The stream reads ahead up to
 * COPY_READ_AHEAD while the caller works; past that the connection's socket waits (backpressure).
 */
async function* copyRows(pool: HistorySource['pool'], select: string, batchSize: number): AsyncGenerator<HistoryRow[]> {
  const client = await pool.connect();
  let clean = false;
  // A checked-out client whose socket breaks emits 'error'; unheard, that would end the process.
  // The COPY stream or the next query fails with it, and the client is closed below.
  const onError = () => undefined;
  client.on('error', onError);
  try {
    // work_mem: should the planner still sort (pages not yet vacuumed), the sort stays in memory.
    await client.query(`begin read only; set local cursor_tuple_fraction = 1; set local work_mem = '128MB';`);
    const stream = client.query(copyTo(`copy (${select}) to stdout (format binary)`, { highWaterMark: COPY_READ_AHEAD }));
    const decode = historyTupleDecoder();
    let rows: HistoryRow[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      decode(chunk, rows);
      if (rows.length >= batchSize) {
        yield rows;
        rows = [];
      }
    }
    decode.end();
    if (rows.length) yield rows;
    await client.query('commit');
    clean = true;
  } finally {
    // Stopped in the middle of the COPY, the connection cannot serve another query: it is closed.
    client.off('error', onError);
    client.release(clean ? undefined : true);
  }
}

const COPY_READ_AHEAD = 256 << 10;

/**
 * Decodes the history select's rows from PostgreSQL's binary COPY format (documented with COPY:
 * an 11-byte signature, flags and a header extension; then per row a 16-bit field count and per
 * field a 32-bit length and its bytes; -1 as the count ends the data). The columns are those of the
 * select, in order: subscriber_id as text, the day as int4, the texts, self_activated as a bool.
 * A row cut by a chunk's end waits for the next chunk.
 */
export function historyTupleDecoder() {
  let rest: Buffer | null = null;
  let header = true;
  let ended = false;
  const at = new Int32Array(FIELDS * 2);
  const [change, pkg, status] = [smallVocabulary(), smallVocabulary(), smallVocabulary()];
  const decode = (chunk: Buffer, out: HistoryRow[]) => {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    let pos = 0;
    if (header) {
      if (buf.length < 19) {
        rest = buf;
        return;
      }
      if (!buf.subarray(0, 11).equals(COPY_SIGNATURE)) throw new Error('The billing history read is not in PostgreSQL\'s binary COPY format.');
      pos = 19 + buf.readInt32BE(15);
      if (buf.length < pos) {
        rest = buf;
        return;
      }
      header = false;
    }
    rows: while (pos + 2 <= buf.length) {
      const count = buf.readInt16BE(pos);
      if (count === -1) {
        ended = true;
        pos += 2;
        break;
      }
      if (count !== FIELDS) throw new Error(`A billing history row has ${count} fields, not ${FIELDS}.`);
      let p = pos + 2;
      for (let f = 0; f < FIELDS; f++) {
        if (p + 4 > buf.length) break rows;
        const length = buf.readInt32BE(p);
        if (length < 0) throw new Error('A billing history row has a null field.');
        p += 4;
        if (p + length > buf.length) break rows;
        at[2 * f] = p;
        at[2 * f + 1] = p + length;
        p += length;
      }
      out.push({
        subscriberId: buf.toString('latin1', at[0], at[1]),
        atMs: buf.readInt32BE(at[2]!) * DAY_MS,
        change: change(buf, at[4]!, at[5]!),
        userId: buf.toString('utf8', at[6], at[7]),
        spEnterpriseId: buf.toString('utf8', at[8], at[9]),
        package: pkg(buf, at[10]!, at[11]!),
        status: status(buf, at[12]!, at[13]!),
        selfActivated: buf[at[14]!] === 1,
      });
      pos = p;
    }
    rest = pos < buf.length ? buf.subarray(pos) : null;
  };
  decode.end = () => {
    if (!ended || rest) throw new Error('The billing history read ended in the middle of a row.');
  };
  return decode;
}
const FIELDS = 8;

/**
 * Text of a column with few distinct values (change, package, status): the first 16 values seen are
 * kept with their bytes, and a row's value is matched against them in JavaScript instead of being
 * decoded into a new string — three decodes fewer per row (decoding the bench's 1.1 M rows: 541–688 ms
 * of CPU against 745–1,021 ms, three rounds side by side).
 */
function smallVocabulary() {
  const known: Buffer[] = [];
  const texts: string[] = [];
  return (buf: Buffer, start: number, end: number): string => {
    const length = end - start;
    candidates: for (let k = 0; k < known.length; k++) {
      const bytes = known[k]!;
      if (bytes.length !== length) continue;
      for (let i = 0; i < length; i++) if (bytes[i] !== buf[start + i]) continue candidates;
      return texts[k]!;
    }
    const text = buf.toString('utf8', start, end);
    if (known.length < 16) {
      known.push(Buffer.from(buf.subarray(start, end)));
      texts.push(text);
    }
    return text;
  };
}
const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Marks the history's pages all-visible so the report's cursor reads the subscriber index alone.
 * PostgreSQL's autovacuum does it too, but only after a threshold of new rows, and the embedded
 * database has no autovacuum; on pages already marked VACUUM skips the work (0.2 s on 2.1 M rows,
 * 0.9 s the first time). Outside any transaction, as VACUUM requires.
 */
export async function prepareHistoryScan(database: HistorySource) {
  await database.pool.query('vacuum partner_subscriber_history');
}

export async function insertChunk(database: HistorySource, reportId: string, seq: number, data: Buffer) {
  await database.pool.query('insert into partner_billing_report_chunks (report_id, seq, data) values ($1, $2, $3)', [reportId, seq, data]);
}
