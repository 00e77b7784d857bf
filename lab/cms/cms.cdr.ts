// CDR emission as a Call Bridge does it: every record gets a recordIndex, records are POSTed as XML in
// `<records session=… callBridge=…>` batches to each configured receiver, in order, and a receiver that
// does not answer 200 gets the same batch again after a retry interval (CMS drops records only once a
// receiver acknowledges them). A failing receiver raises the cdrConnectionFailure alarm until it recovers.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../platform/clock.ts';
import type { Timeline } from './cms.timeline.ts';
import { XML_DECLARATION, escapeAttribute, xmlFragment, type XmlNode } from './cms.xml.ts';

export type CdrRecordType = 'callStart' | 'callEnd' | 'callLegStart' | 'callLegUpdate' | 'callLegEnd';

export type CdrRecord = { type: CdrRecordType; time: string; recordIndex: number; correlatorIndex: number; xml: string };

export type CdrReceiver = {
  id: string;
  url: string;
  /** Index into the record log of the next record this receiver has not acknowledged. */
  next: number;
  inFlight: boolean;
  failing: boolean;
  retryAt?: number;
  delivered: number;
  attempts: number;
};

export type CdrSender = ReturnType<typeof createCdrSender>;

export function createCdrSender(deps: {
  clock: Clock;
  timeline: Timeline;
  callBridgeId: string;
  retryMs: number;
  batchSize?: number;
  /** True while the Lab has CDRs turned off: records are kept in the history, never delivered. */
  off?: () => boolean;
  onAlarm: (active: boolean) => void;
}) {
  const session = randomUUID();
  const log: CdrRecord[] = [];
  /** Absolute index of log[0]; acknowledged records are trimmed from the front. */
  let base = 0;
  let recordIndex = 0;
  let correlatorIndex = 0;
  const receivers = new Map<string, CdrReceiver>();
  const batchSize = deps.batchSize ?? 50;
  const history: CdrRecord[] = [];

  function cdrTime(): string {
    return deps.clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  function emit(type: CdrRecordType, elementName: 'call' | 'callLeg', node: XmlNode): void {
    recordIndex++;
    correlatorIndex++;
    const time = cdrTime();
    const body = xmlFragment(elementName, node);
    const xml = `<record type="${type}" time="${time}" recordIndex="${recordIndex}" correlatorIndex="${correlatorIndex}">${body}</record>`;
    const record: CdrRecord = { type, time, recordIndex, correlatorIndex, xml };
    history.push(record);
    if (history.length > 1000) history.shift();
    if (receivers.size === 0 || deps.off?.()) return;
    log.push(record);
    for (const receiver of receivers.values()) kick(receiver);
  }

  function kick(receiver: CdrReceiver) {
    if (receiver.inFlight || !receiver.url) return;
    if (receiver.retryAt !== undefined && receiver.retryAt > deps.clock.now().getTime()) return;
    if (receiver.next >= base + log.length) return;
    void deliver(receiver);
  }

  async function deliver(receiver: CdrReceiver) {
    receiver.inFlight = true;
    receiver.retryAt = undefined;
    const from = receiver.next - base;
    const batch = log.slice(from, from + batchSize);
    const body = `${XML_DECLARATION}<records session="${session}" callBridge="${escapeAttribute(deps.callBridgeId)}">${batch.map((r) => r.xml).join('')}</records>`;
    receiver.attempts++;
    let ok = false;
    try {
      const response = await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
      await response.arrayBuffer();
      ok = response.status === 200;
    } catch {
      ok = false;
    }
    receiver.inFlight = false;
    if (!receivers.has(receiver.id)) return;
    if (ok) {
      receiver.next += batch.length;
      receiver.delivered += batch.length;
      if (receiver.failing) {
        receiver.failing = false;
        updateAlarm();
      }
      trim();
      kick(receiver);
    } else {
      if (!receiver.failing) {
        receiver.failing = true;
        updateAlarm();
      }
      const retryAt = deps.clock.now().getTime() + deps.retryMs;
      receiver.retryAt = retryAt;
      deps.timeline.at(retryAt, () => kick(receiver));
    }
  }

  function updateAlarm() {
    deps.onAlarm([...receivers.values()].some((r) => r.failing));
  }

  function trim() {
    let min = base + log.length;
    for (const r of receivers.values()) min = Math.min(min, r.next);
    if (min > base) {
      log.splice(0, min - base);
      base = min;
    }
  }

  return {
    emit,
    receivers,
    get correlatorIndex() {
      return correlatorIndex;
    },
    /** The last 1,000 records emitted, for the lab control API and tests. */
    history: () => history.slice(),
    addReceiver(url: string): CdrReceiver {
      const receiver: CdrReceiver = { id: randomUUID(), url, next: base + log.length, inFlight: false, failing: false, delivered: 0, attempts: 0 };
      receivers.set(receiver.id, receiver);
      return receiver;
    },
    setUrl(receiver: CdrReceiver, url: string) {
      receiver.url = url;
      kick(receiver);
    },
    removeReceiver(id: string) {
      receivers.delete(id);
      trim();
      updateAlarm();
    },
  };
}
