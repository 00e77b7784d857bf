// The /api/v1 surface of one simulated Call Bridge: path → object, method → action, object → XML.
// Path segments are matched case-insensitively (TMS sends /cospaces and /calllegs; the seed even shows
// /callegs answered with 200). Everything returned is a CmsReply; the server writes it to the wire.
import { AppError } from '../../platform/errors.ts';
import { schemas, TOP_LEVEL, type CollectionKey, type CollectionSchema } from './cms.schema.ts';
import { cmsFailure, cmsNotFound, parameterError, type CmsObject, type CmsStore, type Form } from './cms.store.ts';
import type { CallBridge, CmsCall, CmsLeg, CmsParticipant, ClusterShared } from './cms.bridge.ts';
import { xmlCollection, xmlDocument, xmlFailure, type XmlNode } from './cms.xml.ts';

export type CmsReply = { status: number; body?: string; location?: string };

export type ApiContext = {
  bridge: CallBridge;
  bridges: CallBridge[];
  shared: ClusterShared;
  store: CmsStore;
  pageCap: number;
  now: number;
};

const ok = (body?: string): CmsReply => ({ status: 200, body });
const created = (location: string): CmsReply => ({ status: 200, location });

const unrecognized = () => cmsNotFound('unrecognizedObject');
const invalidOperation = () => cmsFailure('invalidOperation');

/** Turns a thrown AppError carrying a CMS reason into the wire reply. */
export function failureReply(error: unknown): CmsReply {
  if (error instanceof AppError && error.details && typeof error.details === 'object' && 'reason' in error.details) {
    const details = error.details as { reason: string; attributes?: Record<string, string> };
    return { status: error.status, body: xmlFailure({ reason: details.reason, attributes: details.attributes }) };
  }
  throw error;
}

// ---- paging and filters ------------------------------------------------------------------------------

function page<T>(items: T[], query: URLSearchParams, cap: number): { total: number; items: T[] } {
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);
  const requested = Number.parseInt(query.get('limit') ?? '', 10);
  // The server's own cap always applies, silently (API reference §"Using limit and offset").
  const limit = Number.isFinite(requested) && requested >= 0 ? Math.min(requested, cap) : cap;
  return { total: items.length, items: items.slice(offset, offset + limit) };
}

function includesFolded(value: string | undefined, needle: string): boolean {
  return value !== undefined && value.toLowerCase().includes(needle);
}

function referencedIds(store: CmsStore): Set<string> {
  const ids = new Set<string>(Object.values(store.systemProfiles));
  for (const key of ['coSpaces', 'tenants', 'accessMethods', 'coSpaceUsers', 'cospaceBulkParameterSets'] as const) {
    for (const obj of store.collections[key].values()) {
      for (const field of ['callProfile', 'callLegProfile', 'callBrandingProfile', 'dtmfProfile', 'ivrBrandingProfile']) {
        const value = obj.v[field];
        if (value) ids.add(value);
      }
    }
  }
  return ids;
}

function filterObjects(schema: CollectionSchema, items: Iterable<CmsObject>, query: URLSearchParams, store: CmsStore): CmsObject[] {
  const filter = query.get('filter')?.toLowerCase();
  const tenantFilter = query.get('tenantFilter');
  const callLegProfileFilter = query.get('callLegProfileFilter');
  const usageFilter = query.get('usageFilter');
  const used = usageFilter === 'referenced' || usageFilter === 'unreferenced' ? referencedIds(store) : undefined;
  const out: CmsObject[] = [];
  for (const obj of items) {
    if (filter && !(schema.filterFields ?? []).some((f) => includesFolded(obj.v[f], filter))) continue;
    if (tenantFilter && obj.v.tenant !== tenantFilter) continue;
    if (callLegProfileFilter && obj.v.callLegProfile !== callLegProfileFilter) continue;
    if (used && used.has(obj.id) !== (usageFilter === 'referenced')) continue;
    out.push(obj);
  }
  return out;
}

function listItem(schema: CollectionSchema, obj: CmsObject): XmlNode {
  const node: XmlNode = { '@_id': obj.id };
  if (schema.listFields === 'all') return Object.assign(node, obj.v);
  for (const field of schema.listFields) {
    const value = obj.v[field];
    if (value !== undefined) node[field] = value;
    else if (schema.alwaysShow?.includes(field)) node[field] = '';
  }
  return node;
}

function renderList(schema: CollectionSchema, objects: CmsObject[], query: URLSearchParams, cap: number): string {
  const paged = page(objects, query, cap);
  return xmlCollection(schema.plural, schema.singular, paged.total, paged.items.map((o) => listItem(schema, o)));
}

const FILTER_PARAMS = ['filter', 'tenantFilter', 'callLegProfileFilter', 'usageFilter'];

/** A whole collection: without filters the page is a slice of the store's ordered snapshot. */
function renderStoredList(schema: CollectionSchema, key: CollectionKey, query: URLSearchParams, store: CmsStore, cap: number): string {
  if (FILTER_PARAMS.some((p) => query.has(p))) return renderList(schema, filterObjects(schema, store.collections[key].values(), query, store), query, cap);
  return renderList(schema, store.snapshot(key), query, cap);
}

function renderDetail(schema: CollectionSchema, obj: CmsObject, extra: XmlNode = {}): string {
  return xmlDocument(schema.singular, { '@_id': obj.id, ...obj.v, ...extra });
}

// ---- renderers for live objects ----------------------------------------------------------------------

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return true;
  const [a, b] = [Number(match[1]), Number(match[2])];
  return a > major || (a === major && b >= minor);
}

function cdrTime(now: number): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function renderStatus(ctx: ApiContext): string {
  const { bridge, now } = ctx;
  const s = bridge.status();
  const modern = versionAtLeast(bridge.softwareVersion, 2, 2);
  // Field set and order as the seed's CMS 2.0 answer (518 bytes); hostId and cdrCorrelatorIndex came in 2.2.
  return xmlDocument('status', {
    hostId: modern ? bridge.callBridgeId : undefined,
    softwareVersion: bridge.softwareVersion,
    uptimeSeconds: Math.floor((now - bridge.startedAt) / 1000),
    cdrTime: cdrTime(now),
    activated: 'true',
    clusterEnabled: String(bridge.clusterEnabled),
    cdrCorrelatorIndex: modern ? bridge.cdr.correlatorIndex : undefined,
    callLegsActive: s.callLegsActive,
    callLegsMaxActive: s.callLegsMaxActive,
    callLegsCompleted: s.callLegsCompleted,
    audioBitRateOutgoing: s.audioBitRateOutgoing,
    audioBitRateIncoming: s.audioBitRateIncoming,
    videoBitRateOutgoing: s.videoBitRateOutgoing,
    videoBitRateIncoming: s.videoBitRateIncoming,
  });
}

function callListItem(call: CmsCall): XmlNode {
  return { '@_id': call.id, name: call.name, coSpace: call.coSpace, callCorrelator: call.callCorrelator, tenant: call.tenant };
}

function renderCall(ctx: ApiContext, call: CmsCall): string {
  let local = 0;
  for (const p of ctx.shared.participants.values()) if (p.call === call.id) local++;
  const v = call.v;
  let remaining: number | undefined;
  if (v.messageText !== undefined && v.messageDuration !== undefined && v.messageDuration !== 'permanent') {
    const elapsed = Math.floor((ctx.now - Number(v.messageSetAt ?? call.startedAt)) / 1000);
    remaining = Math.max(0, Number(v.messageDuration) - elapsed);
  }
  return xmlDocument('call', {
    '@_id': call.id,
    name: call.name,
    callType: call.callType,
    coSpace: call.coSpace,
    ownerName: call.ownerName,
    callCorrelator: call.callCorrelator,
    tenant: call.tenant,
    durationSeconds: Math.floor((ctx.now - call.startedAt) / 1000),
    numCallLegs: call.legs.size,
    maxCallLegs: call.maxLegs,
    numParticipantsLocal: local,
    numParticipantsRemote: 0,
    numDistributedInstances: 0,
    locked: v.locked,
    recording: v.recording,
    streaming: v.streaming,
    allowAllMuteSelf: v.allowAllMuteSelf,
    allowAllPresentationContribution: v.allowAllPresentationContribution,
    joinAudioMuteOverride: v.joinAudioMuteOverride,
    messageText: v.messageText,
    messagePosition: v.messagePosition,
    messageDuration: v.messageDuration,
    messageTimeRemaining: remaining,
    activeWhenEmpty: v.activeWhenEmpty,
    panePlacementHighestImportance: v.panePlacementHighestImportance,
    panePlacementSelfPaneMode: v.panePlacementSelfPaneMode,
    endpointRecording: 'false',
  });
}

function legListItem(leg: CmsLeg, call: CmsCall | undefined): XmlNode {
  return {
    '@_id': leg.id,
    name: leg.config.nameLabelOverride ?? leg.name,
    remoteParty: leg.remoteParty,
    originalRemoteParty: leg.remoteParty,
    call: leg.call,
    tenant: call?.tenant,
  };
}

function renderLeg(ctx: ApiContext, leg: CmsLeg): string {
  const call = ctx.bridge.calls.get(leg.call);
  const space = call?.coSpace ? ctx.store.collections.coSpaces.get(call.coSpace) : undefined;
  const layout = leg.config.chosenLayout ?? leg.config.layout ?? leg.config.defaultLayout ?? space?.v.defaultLayout ?? 'automatic';
  const connected = leg.state === 'connected';
  const muted = (field: string) => leg.config[field] === 'true';
  return xmlDocument('callLeg', {
    ...legListItem(leg, call),
    localAddress: leg.localAddress,
    type: 'sip',
    direction: leg.direction,
    canMove: 'false',
    configuration: { ...leg.config },
    status: {
      state: leg.state,
      durationSeconds: Math.floor((ctx.now - (leg.connectedAt ?? leg.createdAt)) / 1000),
      direction: leg.direction,
      sipCallID: leg.sipCallId,
      groupId: leg.groupId,
      recording: call?.v.recording,
      streaming: call?.v.streaming,
      deactivated: 'false',
      encryptedMedia: 'false',
      unencryptedMedia: 'true',
      layout,
      activeLayout: connected ? layout : undefined,
      availableVideoStreams: connected ? 1 : undefined,
      rxAudio: connected ? { codec: 'opus', packetLossPercentage: '0.0', jitter: 9, bitRate: muted('rxAudioMute') ? 0 : 40380 } : undefined,
      txAudio: connected ? { codec: 'opus', packetLossPercentage: '0.0', jitter: 2, bitRate: 64000, roundTripTime: 1 } : undefined,
      rxVideo: connected ? { '@_role': 'main', codec: 'h264', width: 1920, height: 1080, frameRate: '30.0', bitRate: muted('rxVideoMute') ? 0 : 1975241, packetLossPercentage: '0.0', jitter: 11 } : undefined,
      txVideo: connected ? { '@_role': 'main', codec: 'h264', width: 1920, height: 1080, frameRate: '30.0', bitRate: muted('txVideoMute') ? 0 : 1500000, packetLossPercentage: '0.0', jitter: 4, roundTripTime: 1 } : undefined,
    },
  });
}

function participantState(ctx: ApiContext, p: CmsParticipant): string {
  const bridge = ctx.bridges.find((b) => b.name === p.bridge);
  return bridge?.legs.get(p.leg)?.state ?? 'initial';
}

function participantListItem(ctx: ApiContext, p: CmsParticipant): XmlNode {
  const remote = p.bridge !== ctx.bridge.name;
  return { '@_id': p.id, name: p.config.nameLabelOverride ?? p.name, call: p.call, tenant: p.tenant, callBridge: remote ? p.callBridgeId : undefined };
}

function renderParticipant(ctx: ApiContext, p: CmsParticipant): string {
  const remote = p.bridge !== ctx.bridge.name;
  return xmlDocument('participant', {
    '@_id': p.id,
    call: p.call,
    tenant: p.tenant,
    callBridge: remote ? p.callBridgeId : undefined,
    numCallLegs: remote ? 0 : 1,
    name: p.config.nameLabelOverride ?? p.name,
    uri: p.uri,
    originalUri: p.uri,
    userJid: p.userJid,
    isActivator: String(p.isActivator),
    canMove: 'false',
    configuration: { ...p.config },
    status: { state: participantState(ctx, p) },
  });
}

function bridgeOf(ctx: ApiContext, p: CmsParticipant): CallBridge {
  return ctx.bridges.find((b) => b.name === p.bridge) ?? ctx.bridge;
}

function getParticipant(ctx: ApiContext, id: string): CmsParticipant {
  const p = ctx.shared.participants.get(id);
  if (!p) throw cmsNotFound('participantDoesNotExist');
  return p;
}

// ---- dispatch ----------------------------------------------------------------------------------------

/**
 * `segments` are the lower-cased path segments after /api/v1; `raw` the same segments as sent (ids).
 * Throws AppError with CMS reasons; callers turn them into replies with failureReply().
 */
export function handleApi(ctx: ApiContext, method: string, segments: string[], raw: string[], query: URLSearchParams, form: Form): CmsReply {
  const [head, id, sub, subId, ...rest] = segments;
  const rawId = raw[1];
  const rawSubId = raw[3];
  if (rest.length > 0) throw unrecognized();
  const { store } = ctx;

  switch (head) {
    case 'system':
      return handleSystem(ctx, method, segments.slice(1), raw.slice(1), query, form);
    case 'cospaces':
      if (id === undefined) {
        if (method === 'GET') return ok(renderStoredList(schemas.coSpaces, 'coSpaces', query, store, ctx.pageCap));
        if (method === 'POST') return created(`/api/v1/coSpaces/${store.create('coSpaces', form).id}`);
        throw invalidOperation();
      }
      if (sub === undefined) {
        if (method === 'GET') {
          const space = store.get('coSpaces', rawId);
          let numAccessMethods = 0;
          for (const am of store.collections.accessMethods.values()) if (am.parent === space.id) numAccessMethods++;
          return ok(renderDetail(schemas.coSpaces, space, numAccessMethods > 0 ? { numAccessMethods } : {}));
        }
        if (method === 'PUT') return (store.update('coSpaces', rawId, form), ok());
        if (method === 'DELETE') {
          for (const bridge of ctx.bridges) for (const call of [...bridge.calls.values()]) if (call.coSpace === rawId) bridge.endCall(call.id);
          return (store.remove('coSpaces', rawId), ok());
        }
        throw invalidOperation();
      }
      if (sub === 'accessmethods' || sub === 'cospaceusers') {
        const key = sub === 'accessmethods' ? 'accessMethods' : 'coSpaceUsers';
        const schema = schemas[key];
        if (subId === undefined) {
          if (method === 'GET') {
            store.get('coSpaces', rawId);
            const children = [...store.collections[key].values()].filter((c) => c.parent === rawId);
            return ok(renderList(schema, filterObjects(schema, children, query, store), query, ctx.pageCap));
          }
          if (method === 'POST') return created(`/api/v1/coSpaces/${rawId}/${schema.plural}/${store.createChild(key, rawId, form).id}`);
          throw invalidOperation();
        }
        if (method === 'GET') return ok(renderDetail(schema, store.getChild(key, rawId, rawSubId)));
        if (method === 'PUT') return (store.updateChild(key, rawId, rawSubId, form), ok());
        if (method === 'DELETE') return (store.removeChild(key, rawId, rawSubId), ok());
        throw invalidOperation();
      }
      if (sub === 'meetingentrydetail' && subId === undefined && method === 'GET') {
        const space = store.get('coSpaces', rawId);
        const domain = [...store.collections.inboundDialPlanRules.values()]
          .filter((r) => r.v.resolveTocoSpaces !== 'false')
          .sort((a, b) => Number(b.v.priority ?? 0) - Number(a.v.priority ?? 0))[0]?.v.domain;
        const uri = space.v.uri ? (domain ? `${space.v.uri}@${domain}` : space.v.uri) : undefined;
        return ok(xmlDocument('meetingEntryDetail', { coSpace: space.id, uri, callId: space.v.callId }));
      }
      throw unrecognized();
    case 'cospacebulksyncs':
      if (sub !== undefined) throw unrecognized();
      if (id === undefined) {
        if (method === 'GET') {
          const filter = query.get('cospaceBulkParameterSet');
          const syncs = [...store.bulkSyncs.values()].filter((s) => !filter || s.parameterSet === filter);
          const paged = page(syncs, query, ctx.pageCap);
          return ok(xmlCollection('cospaceBulkSyncs', 'cospaceBulkSync', paged.total, paged.items.map((s) => ({ '@_id': s.id, cospaceBulkParameterSet: s.parameterSet, status: s.status, removeAll: s.removeAll }))));
        }
        if (method === 'POST') return created(`/api/v1/cospaceBulkSyncs/${scheduleBulkSync(ctx, form)}`);
        throw invalidOperation();
      }
      if (method === 'GET') {
        const sync = store.bulkSyncs.get(rawId);
        if (!sync) throw cmsNotFound('cospaceBulkSyncDoesNotExist');
        return ok(xmlDocument('cospaceBulkSync', { '@_id': sync.id, cospaceBulkParameterSet: sync.parameterSet, status: sync.status, removeAll: sync.removeAll }));
      }
      throw invalidOperation();
    case 'calls':
      return handleCalls(ctx, method, segments, raw, query, form);
    case 'calllegs':
    case 'callegs':
      if (sub !== undefined) throw unrecognized();
      if (id === undefined) {
        if (method !== 'GET') throw invalidOperation();
        return ok(renderLegs(ctx, [...ctx.bridge.legs.values()], query));
      }
      if (method === 'GET') return ok(renderLeg(ctx, ctx.bridge.getLeg(rawId)));
      if (method === 'PUT') return (ctx.bridge.updateLeg(rawId, form), ok());
      if (method === 'DELETE') return (ctx.bridge.hangUp(rawId), ok());
      throw invalidOperation();
    case 'participants':
      if (id === undefined) {
        if (method !== 'GET') throw invalidOperation();
        return ok(renderParticipants(ctx, [...ctx.shared.participants.values()], query));
      }
      if (sub === 'calllegs' || sub === 'callegs') {
        if (subId !== undefined || method !== 'GET') throw unrecognized();
        const p = getParticipant(ctx, rawId);
        const bridge = bridgeOf(ctx, p);
        const leg = bridge.legs.get(p.leg);
        const items = leg && bridge === ctx.bridge ? [legListItem(leg, bridge.calls.get(leg.call))] : [];
        return ok(xmlCollection('callLegs', 'callLeg', items.length, items));
      }
      if (sub !== undefined) throw unrecognized();
      {
        const p = getParticipant(ctx, rawId);
        if (method === 'GET') return ok(renderParticipant(ctx, p));
        if (method === 'PUT') return (bridgeOf(ctx, p).updateParticipant(p, form), ok());
        if (method === 'DELETE') return (bridgeOf(ctx, p).hangUp(p.leg), ok());
      }
      throw invalidOperation();
    default: {
      const key = head === undefined ? undefined : TOP_LEVEL[head];
      if (!key) throw unrecognized();
      return handleGeneric(ctx, key, method, id === undefined ? undefined : rawId, sub, query, form);
    }
  }
}

function scheduleBulkSync(ctx: ApiContext, form: Form): string {
  const { store, shared } = ctx;
  const sync = store.createBulkSync(form, ctx.now);
  const set = store.collections.cospaceBulkParameterSets.get(sync.parameterSet);
  const size = set ? Math.max(0, Number(set.v.endIndex) - Number(set.v.startIndex) + 1) : 0;
  const runningAt = ctx.now + shared.timing.bulkSyncPendingMs;
  const doneAt = runningAt + Math.max(shared.timing.bulkSyncMinRunMs, Math.ceil(size * shared.timing.bulkSyncMsPerSpace));
  // A sync the node forgot (restart with the Lab's forgetBulkSyncsOnRestart) never runs on.
  shared.timeline.at(runningAt, () => {
    if (sync.status === 'pending' && store.bulkSyncs.get(sync.id) === sync) sync.status = 'running';
  });
  shared.timeline.at(doneAt, () => {
    if (store.bulkSyncs.get(sync.id) === sync) store.runBulkSync(sync);
  });
  return sync.id;
}

function handleGeneric(ctx: ApiContext, key: CollectionKey, method: string, id: string | undefined, sub: string | undefined, query: URLSearchParams, form: Form): CmsReply {
  const { store } = ctx;
  const schema = schemas[key];
  if (sub !== undefined) {
    if (key === 'callLegProfiles' && sub === 'usage' && method === 'GET' && id) {
      store.get(key, id);
      const node: XmlNode = { '@_id': id };
      if (store.systemProfiles.callLegProfile === id) node.global = '';
      const users = (k: 'tenants' | 'coSpaces' | 'accessMethods' | 'coSpaceUsers') => [...store.collections[k].values()].filter((o) => o.v.callLegProfile === id).length;
      const counts = { tenants: users('tenants'), coSpaces: users('coSpaces'), accessMethods: users('accessMethods'), coSpaceUsers: users('coSpaceUsers') };
      const total = (node.global !== undefined ? 1 : 0) + Object.values(counts).reduce((a, b) => a + b, 0);
      return ok(xmlDocument('callLegProfileUsage', { ...node, '@_total': String(total) }));
    }
    throw unrecognized();
  }
  if (id === undefined) {
    if (method === 'GET') {
      if (key === 'outboundDialPlanRules' || key === 'inboundDialPlanRules' || key === 'forwardingDialPlanRules') {
        const objects = filterObjects(schema, store.collections[key].values(), query, store).sort((a, b) => Number(b.v.priority ?? 0) - Number(a.v.priority ?? 0));
        return ok(renderList(schema, objects, query, ctx.pageCap));
      }
      return ok(renderStoredList(schema, key, query, store, ctx.pageCap));
    }
    if (method === 'POST') return created(`/api/v1/${schema.plural}/${store.create(key, form).id}`);
    throw invalidOperation();
  }
  if (method === 'GET') return ok(renderDetail(schema, store.get(key, id)));
  if (method === 'PUT') return (store.update(key, id, form), ok());
  if (method === 'DELETE') {
    if (key === 'callBridges' && ctx.bridges.some((b) => b.callBridgeId === id)) throw invalidOperation();
    return (store.remove(key, id), ok());
  }
  throw invalidOperation();
}

function renderLegs(ctx: ApiContext, legs: CmsLeg[], query: URLSearchParams): string {
  const filter = query.get('filter')?.toLowerCase();
  const participantFilter = query.get('participantFilter');
  const tenantFilter = query.get('tenantFilter');
  const ownerIdSet = query.get('ownerIdSet');
  const activeLayoutFilter = query.get('activeLayoutFilter');
  const selected = legs.filter((leg) => {
    const call = ctx.bridge.calls.get(leg.call);
    if (filter && !includesFolded(leg.name, filter) && !includesFolded(leg.remoteParty, filter)) return false;
    if (participantFilter && leg.participant !== participantFilter) return false;
    if (tenantFilter && call?.tenant !== tenantFilter) return false;
    if (ownerIdSet === 'true' && leg.ownerId === undefined) return false;
    if (ownerIdSet === 'false' && leg.ownerId !== undefined) return false;
    if (activeLayoutFilter && (leg.config.chosenLayout ?? leg.config.defaultLayout ?? 'automatic') !== activeLayoutFilter) return false;
    return true;
  });
  const paged = page(selected, query, ctx.pageCap);
  return xmlCollection('callLegs', 'callLeg', paged.total, paged.items.map((leg) => legListItem(leg, ctx.bridge.calls.get(leg.call))));
}

function renderParticipants(ctx: ApiContext, participants: CmsParticipant[], query: URLSearchParams): string {
  const filter = query.get('filter')?.toLowerCase();
  const tenantFilter = query.get('tenantFilter');
  const callBridgeFilter = query.get('callBridgeFilter');
  const selected = participants.filter((p) => {
    if (filter && !includesFolded(p.name, filter) && !includesFolded(p.uri, filter)) return false;
    if (tenantFilter && p.tenant !== tenantFilter) return false;
    if (callBridgeFilter && p.callBridgeId !== callBridgeFilter) return false;
    return true;
  });
  const paged = page(selected, query, ctx.pageCap);
  return xmlCollection('participants', 'participant', paged.total, paged.items.map((p) => participantListItem(ctx, p)));
}

function handleCalls(ctx: ApiContext, method: string, segments: string[], raw: string[], query: URLSearchParams, form: Form): CmsReply {
  const [, id, sub, subId] = segments;
  const rawId = raw[1];
  const { bridge } = ctx;
  if (id === undefined) {
    if (method === 'GET') {
      const coSpaceFilter = query.get('coSpaceFilter');
      const tenantFilter = query.get('tenantFilter');
      const calls = [...bridge.calls.values()].filter((c) => (!coSpaceFilter || c.coSpace === coSpaceFilter) && (!tenantFilter || c.tenant === tenantFilter));
      const paged = page(calls, query, ctx.pageCap);
      return ok(xmlCollection('calls', 'call', paged.total, paged.items.map(callListItem)));
    }
    if (method === 'POST') return created(`/api/v1/calls/${bridge.createCall(form).id}`);
    throw invalidOperation();
  }
  if (sub === undefined) {
    if (method === 'GET') return ok(renderCall(ctx, bridge.getCall(rawId)));
    if (method === 'PUT') return (bridge.updateCall(rawId, form), ok());
    if (method === 'DELETE') return (bridge.endCall(rawId), ok());
    throw invalidOperation();
  }
  const call = bridge.getCall(rawId);
  if (sub === 'calllegs' || sub === 'callegs') {
    if (subId !== undefined) throw unrecognized();
    if (method === 'GET') return ok(renderLegs(ctx, [...call.legs].map((l) => bridge.legs.get(l)!).filter(Boolean), query));
    // Legs created under a call are still addressed as /callLegs/<id> (API reference example).
    if (method === 'POST') return created(`/api/v1/callLegs/${bridge.dialOut(call, form).id}`);
    throw invalidOperation();
  }
  if (sub === 'participants') {
    if (subId === '*') {
      if (method !== 'PUT') throw invalidOperation();
      return (bridge.updateAllParticipants(call.id, form), ok());
    }
    if (subId !== undefined) throw unrecognized();
    if (method === 'GET') return ok(renderParticipants(ctx, [...ctx.shared.participants.values()].filter((p) => p.call === call.id), query));
    if (method === 'POST') {
      if (form.get('callBridge') && !ctx.store.collections.callBridges.has(form.get('callBridge')!)) throw cmsFailure('callBridgeDoesNotExist');
      return created(`/api/v1/participants/${bridge.addParticipant(call, form).id}`);
    }
    throw invalidOperation();
  }
  throw unrecognized();
}

const PROFILE_REFS: Record<string, CollectionKey | undefined> = {
  callLegProfile: 'callLegProfiles',
  callProfile: 'callProfiles',
  dtmfProfile: 'dtmfProfiles',
  userProfile: undefined,
  ivrBrandingProfile: 'ivrBrandingProfiles',
  callBrandingProfile: 'callBrandingProfiles',
};

function handleSystem(ctx: ApiContext, method: string, segments: string[], raw: string[], query: URLSearchParams, form: Form): CmsReply {
  const [what, id, extra] = segments;
  const { bridge, store } = ctx;
  if (extra !== undefined && what !== 'configuration') throw unrecognized();
  switch (what) {
    case 'status':
      if (id !== undefined) throw unrecognized();
      if (method !== 'GET') throw invalidOperation();
      return ok(renderStatus(ctx));
    case 'alarms': {
      if (id !== undefined) throw unrecognized();
      if (method !== 'GET') throw invalidOperation();
      const paged = page([...bridge.alarms.values()], query, ctx.pageCap);
      return ok(xmlCollection('alarms', 'alarm', paged.total, paged.items.map((a) => ({ '@_id': a.id, type: a.type, activeTimeSeconds: Math.floor((ctx.now - a.since) / 1000), ...a.extra }))));
    }
    case 'load': {
      if (id !== undefined || method !== 'GET') throw id !== undefined ? unrecognized() : invalidOperation();
      let connected = 0;
      for (const leg of bridge.legs.values()) if (leg.state === 'connected') connected++;
      return ok(xmlDocument('load', { mediaProcessingLoad: connected * 250 }));
    }
    case 'database':
      if (id !== undefined || method !== 'GET') throw id !== undefined ? unrecognized() : invalidOperation();
      return ok(xmlDocument('database', { '@_clustered': ctx.bridges.length > 1 ? 'enabled' : 'disabled' }));
    case 'configuration':
      if (id === 'cluster' && extra === undefined && method === 'GET') {
        return ok(xmlDocument('cluster', { uniqueName: bridge.name, peerLinkBitRate: '', participantLimit: '' }));
      }
      throw unrecognized();
    case 'profiles':
      if (id !== undefined) throw unrecognized();
      if (method === 'GET') {
        const node: XmlNode = {};
        for (const field of Object.keys(PROFILE_REFS)) node[field] = store.systemProfiles[field];
        return ok(xmlDocument('profiles', node));
      }
      if (method === 'PUT' || method === 'POST') {
        const next = { ...store.systemProfiles };
        for (const [field, value] of form) {
          if (!(field in PROFILE_REFS)) continue;
          if (value === '') {
            delete next[field];
            continue;
          }
          const target = PROFILE_REFS[field];
          if (target && !store.collections[target].has(value)) throw cmsFailure(schemas[target].notFound);
          next[field] = value;
        }
        for (const field of Object.keys(store.systemProfiles)) delete store.systemProfiles[field];
        Object.assign(store.systemProfiles, next);
        return ok();
      }
      throw invalidOperation();
    case 'cdrreceivers': {
      const cdr = bridge.cdr;
      const render = (r: { id: string; url: string }) => ({ '@_id': r.id, uri: r.url });
      if (id === undefined) {
        if (method === 'GET') {
          const paged = page([...cdr.receivers.values()], query, ctx.pageCap);
          return ok(xmlCollection('cdrReceivers', 'cdrReceiver', paged.total, paged.items.map(render), { maximum: '4' }));
        }
        if (method === 'POST') {
          if (cdr.receivers.size >= 4) throw cmsFailure('tooManyCdrReceivers');
          const url = form.get('url') ?? '';
          if (url && !/^https?:\/\//i.test(url)) throw parameterError('url');
          return created(`/api/v1/system/cdrReceivers/${cdr.addReceiver(url).id}`);
        }
        throw invalidOperation();
      }
      const receiver = cdr.receivers.get(raw[1]);
      if (!receiver) throw cmsNotFound('cdrReceiverDoesNotExist');
      if (method === 'GET') return ok(xmlDocument('cdrReceiver', render(receiver)));
      if (method === 'PUT') {
        const url = form.get('url');
        if (url !== undefined) {
          if (url && !/^https?:\/\//i.test(url)) throw parameterError('url');
          cdr.setUrl(receiver, url);
        }
        return ok();
      }
      if (method === 'DELETE') return (cdr.removeReceiver(receiver.id), ok());
      throw invalidOperation();
    }
    case 'cdrreceiver': {
      // The pre-1.8 single receiver, kept as the first receiver of the list.
      if (id !== undefined) throw unrecognized();
      const first = [...bridge.cdr.receivers.values()][0];
      if (method === 'GET') return ok(xmlDocument('cdrReceiver', { uri: first?.url ?? '' }));
      if (method === 'PUT' || method === 'POST') {
        const url = form.get('url') ?? '';
        if (!url) {
          if (first) bridge.cdr.removeReceiver(first.id);
        } else if (first) bridge.cdr.setUrl(first, url);
        else bridge.cdr.addReceiver(url);
        return ok();
      }
      throw invalidOperation();
    }
    default:
      throw unrecognized();
  }
}
