import { historyBySubscriber, insertChunk, type HistorySource, type SubscriberRange } from './billing.history.ts';
import { csvColumns, csvField, formatQuantity, monthOf, prorateSubscriber, toSubscriberId, type BillingRecord } from './billing.proration.ts';
import type { BillingSummary } from './billing.schema.ts';

// P16: writes one month's report — the history read in subscriber order, prorated, and stored as CSV
// chunks of about 1 MB that always end at a line end — and returns its totals. Runs in the report's
// writer threads on PostgreSQL, on the server's thread on the embedded database.

/** CSV chunk size in the database (about). */
const CHUNK_BYTES = 1 << 20;
/** Room past CHUNK_BYTES for the lines of the batch that crosses it. */
const LINE_ROOM = 64 << 10;

export type ReportInput = {
  reportId: string;
  /** `YYYY-MM`, already validated. */
  billingPeriod: string;
  resellerName: string;
  customers: Array<{ spEnterpriseId: string; billingId: string | null; internalTrial: boolean }>;
  historyBatchSize?: number;
  /** The lane's part of the subscribers, and where its chunks are numbered from (see billing.service.ts). */
  lane?: { range: SubscriberRange; firstSeq: number; header: boolean };
};
export type ReportProgress = { percent: number; message: string };
export type ReportOutput = { records: number; subscribers: number; bytes: number; summary: BillingSummary };

export async function writeReportCsv(source: HistorySource, input: ReportInput, onProgress: (progress: ReportProgress) => Promise<void>): Promise<ReportOutput> {
  const [year, monthNumber] = input.billingPeriod.split('-').map(Number) as [number, number];
  const month = monthOf(year, monthNumber);
  const lane = input.lane ?? { range: { from: null, to: null }, firstSeq: 0, header: true };
  const customers = new Map(input.customers.map((c) => [c.spEnterpriseId, c]));
  const resellerField = csvField(input.resellerName);
  const prefixes = new Map<string, string>();
  const prefixOf = (spEnterpriseId: string) => {
    let prefix = prefixes.get(spEnterpriseId);
    if (prefix === undefined) {
      const customer = customers.get(spEnterpriseId);
      prefix = `${resellerField},${csvField(customer?.billingId ?? '')},${csvField(spEnterpriseId)},${customer?.internalTrial ? 'true' : 'false'},`;
      prefixes.set(spEnterpriseId, prefix);
    }
    return prefix;
  };
  const wholeMonths = new Map<string, string>();
  const wholeMonthOf = (pkg: string) => {
    let suffix = wholeMonths.get(pkg);
    if (suffix === undefined) wholeMonths.set(pkg, (suffix = `${month.dates[0]},${month.dates[month.days - 1]},${pkg},${formatQuantity(10_000)}\r\n`));
    return suffix;
  };

  // Lines are encoded straight into the chunk's buffer: no line array, join or copy per chunk.
  // A line longer than the room left (or than a chunk) goes to the next, larger if need be.
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES + LINE_ROOM);
  let used = 0;
  let seq = lane.firstSeq;
  let bytes = 0;
  let recordCount = 0;
  let subscribers = 0;
  const byPackage = new Map<string, { records: number; q4: number }>();
  const byCustomer = new Map<string, { records: number; q4: number; byPackage: Map<string, number> }>();
  // One chunk insert is in flight while the next chunk is written: awaiting each (~6 ms for 1 MB)
  // left the history stream unread for 1.2 s of a 7.5 s report. Its failure surfaces at the next
  // flush or at the end.
  let inserting: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (!used) return;
    // The stored chunk is a copy of exactly its bytes; the buffer is reused.
    const data = Buffer.from(chunk.subarray(0, used));
    bytes += used;
    used = 0;
    await inserting;
    inserting = insertChunk(source, input.reportId, seq++, data);
    inserting.catch(() => undefined);
  };
  const append = (line: string) => {
    if (chunk.length - used < line.length * 3) {
      if (used) return false;
      chunk = Buffer.allocUnsafe(line.length * 3);
    }
    used += chunk.write(line, used);
    return true;
  };
  if (lane.header) append(csvColumns.join(',') + '\r\n');

  // The lane's bounds as positions in the UUID space (its first 32 bits), for the progress estimate.
  const laneFrom = positionOf(lane.range.from, 0);
  const laneTo = positionOf(lane.range.to, 0x1_0000_0000);
  const out: BillingRecord[] = [];
  let lastPercent = 0;
  let lastProgressAt = performance.now();
  for await (const batch of historyBySubscriber(source, month, input.historyBatchSize, lane.range)) {
    let i = 0;
    while (i < batch.length) {
      const subscriberId = batch[i]!.subscriberId;
      let j = i + 1;
      while (j < batch.length && batch[j]!.subscriberId === subscriberId) j++;
      out.length = 0;
      prorateSubscriber(batch, month, out, i, j);
      i = j;
      if (!out.length) continue;
      subscribers++;
      const webexSubscriberId = toSubscriberId(subscriberId);
      for (const r of out) {
        // The fields that repeat across records are strings made once: the customer's four, and the
        // dates, package and quantity of a whole month (most records).
        const line = `${prefixOf(r.spEnterpriseId)}${csvField(r.userId)},${webexSubscriberId},${r.selfActivated},${r.firstStartDate},${r.quantity4 === 10_000 ? wholeMonthOf(r.package) : `${r.billingStartDate},${r.billingEndDate},${r.package},${formatQuantity(r.quantity4)}\r\n`}`;
        if (!append(line)) {
          await flush();
          append(line);
        }
        recordCount++;
        const p = byPackage.get(r.package) ?? byPackage.set(r.package, { records: 0, q4: 0 }).get(r.package)!;
        p.records++;
        p.q4 += r.quantity4;
        const c = byCustomer.get(r.spEnterpriseId) ?? byCustomer.set(r.spEnterpriseId, { records: 0, q4: 0, byPackage: new Map() }).get(r.spEnterpriseId)!;
        c.records++;
        c.q4 += r.quantity4;
        c.byPackage.set(r.package, (c.byPackage.get(r.package) ?? 0) + r.quantity4);
      }
    }
    if (used >= CHUNK_BYTES) await flush();
    // Subscriber IDs are random UUIDs read in order: how far the last one is through the UUID
    // space estimates how far through the history we are, without counting it first.
    const percent = Math.floor(((positionOf(batch[batch.length - 1]!.subscriberId, 0) - laneFrom) / (laneTo - laneFrom)) * 95);
    // At most one progress report a second (elapsed time, not the domain clock): each is a
    // database write in the server.
    const now = performance.now();
    if (percent > lastPercent && now - lastProgressAt >= 1000) {
      lastPercent = percent;
      lastProgressAt = now;
      await onProgress({ percent, message: `${subscribers.toLocaleString('en')} subscribers, ${recordCount.toLocaleString('en')} records` });
    }
  }
  await flush();
  await inserting;

  const quantity = (q4: number) => q4 / 10_000;
  const summary: BillingSummary = {
    subscribers,
    byPackage: Object.fromEntries([...byPackage].map(([k, v]) => [k, { records: v.records, quantity: quantity(v.q4) }])),
    byCustomer: Object.fromEntries(
      [...byCustomer].map(([k, v]) => [k, { records: v.records, quantity: quantity(v.q4), byPackage: Object.fromEntries([...v.byPackage].map(([p, q]) => [p, quantity(q)])) }]),
    ),
  };
  return { records: recordCount, subscribers, bytes, summary };
}

const positionOf = (id: string | null, otherwise: number) => (id === null ? otherwise : parseInt(id.slice(0, 8), 16));
