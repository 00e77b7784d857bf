// One Call Bridge's live state: the calls it hosts, their call legs and participants, the dial-out state
// machine, the /system/status counters and its CDR receivers. Calls and legs live only on the bridge that
// created them; participants are registered cluster-wide because every bridge of a cluster lists them all.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../platform/clock.ts';
import { cmsFailure, cmsNotFound, parameterError, type CmsObject, type CmsStore, type Form } from './cms.store.ts';
import { CALL_LEG_PROFILE_FIELDS, LAYOUTS, schemas } from './cms.schema.ts';
import type { Timeline } from './cms.timeline.ts';
import { createCdrSender } from './cms.cdr.ts';

export type LegState = 'initial' | 'ringing' | 'connected';
export type DialOutcome = 'connect' | 'busy' | 'noAnswer' | 'unreachable' | 'reject';

/** Lab rule deciding what the far end of a dial-out does; first match wins. */
export type DialRule = {
  /** Glob on the remote party (`*` = any run of characters), case-insensitive, or a RegExp. */
  match: string | RegExp;
  outcome: DialOutcome;
  /** Overrides of the default timing for this rule. */
  ringAfterMs?: number;
  answerAfterMs?: number;
};

export type Timing = {
  /** initial → ringing. */
  ringAfterMs: number;
  /** ringing → connected. */
  answerAfterMs: number;
  /** ringing → ended for noAnswer. */
  noAnswerAfterMs: number;
  bulkSyncPendingMs: number;
  /** Running time of a bulk sync = max(bulkSyncMinRunMs, spaces × bulkSyncMsPerSpace). */
  bulkSyncMinRunMs: number;
  bulkSyncMsPerSpace: number;
  cdrRetryMs: number;
};

export const DEFAULT_TIMING: Timing = {
  ringAfterMs: 200,
  answerAfterMs: 1500,
  noAnswerAfterMs: 30_000,
  bulkSyncPendingMs: 200,
  bulkSyncMinRunMs: 300,
  bulkSyncMsPerSpace: 0.05,
  cdrRetryMs: 5_000,
};

/** Reasons written to callLegEnd records. CMS's reason list is not in our sources; see README. */
export const END_REASONS: Record<DialOutcome | 'hangup' | 'callEnded' | 'noRoute' | 'remote', string> = {
  connect: 'remoteTeardown',
  remote: 'remoteTeardown',
  busy: 'remoteBusy',
  noAnswer: 'timeout',
  unreachable: 'connectionFailure',
  reject: 'remoteReject',
  hangup: 'localTeardown',
  callEnded: 'localTeardown',
  noRoute: 'noMatchingDialPlanRule',
};

export const DEFAULT_DIAL_RULES: DialRule[] = [
  { match: 'busy*', outcome: 'busy' },
  { match: 'noanswer*', outcome: 'noAnswer' },
  { match: 'reject*', outcome: 'reject' },
  { match: '*@unreachable*', outcome: 'unreachable' },
  { match: '*.invalid', outcome: 'unreachable' },
  { match: '*', outcome: 'connect' },
];

export type CmsCall = {
  id: string;
  name: string;
  coSpace?: string;
  tenant?: string;
  callType: 'coSpace' | 'adHoc';
  callCorrelator: string;
  startedAt: number;
  ownerName?: string;
  v: Record<string, string>;
  legs: Set<string>;
  maxLegs: number;
  completedLegs: number;
};

export type CmsLeg = {
  id: string;
  call: string;
  participant: string;
  name: string;
  remoteParty: string;
  direction: 'incoming' | 'outgoing';
  state: LegState;
  createdAt: number;
  connectedAt?: number;
  ownerId?: string;
  /** chosenLayout and per-leg profile overrides, as supplied. */
  config: Record<string, string>;
  sipCallId: string;
  groupId: string;
  localAddress: string;
  ended: boolean;
  accessMethod?: string;
};

export type CmsParticipant = {
  id: string;
  call: string;
  leg: string;
  bridge: string;
  callBridgeId: string;
  name: string;
  uri: string;
  tenant?: string;
  isActivator: boolean;
  config: Record<string, string>;
  userJid?: string;
};

export type ClusterShared = {
  store: CmsStore;
  participants: Map<string, CmsParticipant>;
  clock: Clock;
  timeline: Timeline;
  timing: Timing;
  dialRules: DialRule[];
  /** Dial-outs to domains without an outbound rule fail, as on CMS; false lets everything route. */
  enforceOutboundRules: boolean;
  enforceInboundRules: boolean;
  /** Lab variance: the bridges send no CDRs at all (no receiver reached, records lost). */
  cdrsOff?: boolean;
};

export type CallBridge = ReturnType<typeof createCallBridge>;

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

const LEG_PUT_FIELDS = new Set([...Object.keys(CALL_LEG_PROFILE_FIELDS), 'chosenLayout', 'layout', 'callLegProfile', 'nameLabelOverride', 'deactivated', 'importance', 'dtmfSequence']);
const CALL_PUT_FIELDS: Record<string, 'boolean' | 'number' | 'string' | readonly string[]> = {
  locked: 'boolean',
  recording: 'boolean',
  streaming: 'boolean',
  allowAllMuteSelf: 'boolean',
  allowAllPresentationContribution: 'boolean',
  joinAudioMuteOverride: 'boolean',
  messageText: 'string',
  messagePosition: ['top', 'middle', 'bottom'],
  messageDuration: 'string',
  activeWhenEmpty: 'boolean',
  panePlacementHighestImportance: 'number',
  panePlacementSelfPaneMode: ['skip', 'self', 'blank', 'unset'],
};

export function createCallBridge(deps: { name: string; callBridgeId: string; address: string; shared: ClusterShared; softwareVersion: string; startedAt: number; clusterEnabled: boolean }) {
  const { shared, name, callBridgeId } = deps;
  const { store, clock, timeline, timing } = shared;
  let address = deps.address;
  const calls = new Map<string, CmsCall>();
  const legs = new Map<string, CmsLeg>();
  const counters = { callLegsActive: 0, callLegsMaxActive: 0, callLegsCompleted: 0 };
  const alarms = new Map<string, { id: string; type: string; since: number; extra?: Record<string, string> }>();
  const compiledRules = () => shared.dialRules.map((rule) => ({ rule, re: typeof rule.match === 'string' ? globToRegExp(rule.match) : rule.match }));

  const cdr = createCdrSender({
    clock,
    timeline,
    callBridgeId,
    retryMs: timing.cdrRetryMs,
    off: () => shared.cdrsOff === true,
    onAlarm: (active) => setAlarm('cdrConnectionFailure', active),
  });

  function now() {
    return clock.now().getTime();
  }

  function setAlarm(type: string, active: boolean, extra?: Record<string, string>) {
    if (active && !alarms.has(type)) alarms.set(type, { id: randomUUID(), type, since: now(), extra });
    if (!active) alarms.delete(type);
  }

  // ---- profiles and limits -------------------------------------------------------------------------

  function spaceOf(call: CmsCall): CmsObject | undefined {
    return call.coSpace ? store.collections.coSpaces.get(call.coSpace) : undefined;
  }

  /** Most specific call profile wins: space, then tenant, then /system/profiles. */
  function effectiveCallProfile(call: CmsCall): CmsObject | undefined {
    const space = spaceOf(call);
    const tenant = call.tenant ? store.collections.tenants.get(call.tenant) : undefined;
    const id = space?.v.callProfile ?? tenant?.v.callProfile ?? store.systemProfiles.callProfile;
    return id ? store.collections.callProfiles.get(id) : undefined;
  }

  function checkLimits(call: CmsCall) {
    const limit = effectiveCallProfile(call)?.v.participantLimit;
    if (limit !== undefined) {
      let count = 0;
      for (const p of shared.participants.values()) if (p.call === call.id) count++;
      if (count >= Number(limit)) throw cmsFailure('participantLimitReached');
    }
    if (call.tenant) {
      const tenantLimit = store.collections.tenants.get(call.tenant)?.v.participantLimit;
      if (tenantLimit !== undefined) {
        let count = 0;
        for (const p of shared.participants.values()) if (p.tenant === call.tenant) count++;
        if (count >= Number(tenantLimit)) throw cmsFailure('tenantParticipantLimitReached');
      }
    }
  }

  // ---- calls ---------------------------------------------------------------------------------------

  function getCall(id: string): CmsCall {
    const call = calls.get(id);
    if (!call) throw cmsNotFound('callDoesNotExist');
    return call;
  }

  function applyCallForm(call: CmsCall, form: Form) {
    for (const [field, raw] of form) {
      const kind = CALL_PUT_FIELDS[field];
      if (kind === undefined) continue;
      if (raw === '') {
        delete call.v[field];
        continue;
      }
      if (kind === 'boolean') {
        const value = raw === 'true' || raw === 'false' ? raw : store.lenientBooleans ? store.normalise(schemas.callLegProfiles, 'muteSelfAllowed', raw) : undefined;
        if (value === undefined) throw parameterError(field);
        call.v[field] = value;
      } else if (kind === 'number') {
        if (!/^-?\d+$/.test(raw)) throw parameterError(field);
        call.v[field] = raw;
      } else if (Array.isArray(kind)) {
        if (!kind.includes(raw)) throw parameterError(field);
        call.v[field] = raw;
      } else if (field === 'messageDuration') {
        if (raw !== 'permanent' && !/^\d+$/.test(raw)) throw parameterError(field);
        call.v[field] = raw;
        call.v.messageSetAt = String(now());
      } else {
        call.v[field] = raw;
      }
    }
  }

  function createCall(form: Form): CmsCall {
    const coSpaceId = form.get('coSpace') || undefined;
    const callName = form.get('name') || undefined;
    if (!coSpaceId && !callName) throw parameterError('coSpace', 'missing');
    let space: CmsObject | undefined;
    if (coSpaceId) {
      space = store.collections.coSpaces.get(coSpaceId);
      if (!space) throw cmsFailure('coSpaceDoesNotExist');
      // A space is one meeting: instantiating it again on this bridge gives back the running call.
      for (const existing of calls.values()) if (existing.coSpace === coSpaceId) return existing;
    }
    const tenant = form.get('tenant') || space?.v.tenant;
    if (tenant && !store.collections.tenants.has(tenant)) throw cmsFailure('tenantDoesNotExist');
    const call: CmsCall = {
      id: randomUUID(),
      name: callName ?? space?.v.name ?? '',
      coSpace: coSpaceId,
      tenant,
      callType: space ? 'coSpace' : 'adHoc',
      callCorrelator: randomUUID(),
      startedAt: now(),
      ownerName: space?.v.meetingScheduler ?? space?.v.ownerJid,
      v: { locked: 'false', recording: 'false', streaming: 'false', allowAllMuteSelf: 'false', allowAllPresentationContribution: 'false', messagePosition: 'middle', messageDuration: '0', activeWhenEmpty: 'true' },
      legs: new Set(),
      maxLegs: 0,
      completedLegs: 0,
    };
    const profile = effectiveCallProfile(call);
    if (profile?.v.locked) call.v.locked = profile.v.locked;
    if (profile?.v.recordingMode === 'automatic') call.v.recording = 'true';
    if (profile?.v.streamingMode === 'automatic') call.v.streaming = 'true';
    applyCallForm(call, form);
    calls.set(call.id, call);
    cdr.emit('callStart', 'call', {
      '@_id': call.id,
      name: call.name,
      ownerName: call.ownerName,
      callType: call.callType,
      coSpace: call.coSpace,
      callCorrelator: call.callCorrelator,
      cdrTag: space?.v.cdrTag,
      tenant: call.tenant,
    });
    return call;
  }

  function updateCall(id: string, form: Form) {
    applyCallForm(getCall(id), form);
  }

  function endCall(id: string) {
    const call = getCall(id);
    for (const legId of [...call.legs]) endLeg(legId, 'callEnded');
    calls.delete(id);
    cdr.emit('callEnd', 'call', {
      '@_id': call.id,
      callLegsCompleted: call.completedLegs,
      callLegsMaxActive: call.maxLegs,
      durationSeconds: Math.floor((now() - call.startedAt) / 1000),
    });
  }

  // ---- legs and participants -----------------------------------------------------------------------

  function outboundRuleFor(remoteParty: string, call: CmsCall): CmsObject | undefined {
    const at = remoteParty.lastIndexOf('@');
    const domain = (at >= 0 ? remoteParty.slice(at + 1) : remoteParty).toLowerCase();
    const rules = [...store.collections.outboundDialPlanRules.values()].sort((a, b) => Number(b.v.priority ?? 0) - Number(a.v.priority ?? 0));
    for (const rule of rules) {
      const pattern = (rule.v.domain ?? '').toLowerCase();
      const matches = pattern === '*' || pattern === domain || (pattern.startsWith('*.') && domain.endsWith(pattern.slice(1)));
      if (!matches) continue;
      if (rule.v.tenant && rule.v.tenant !== call.tenant) continue;
      if (rule.v.scope === 'callBridge' && rule.v.callBridge !== callBridgeId) continue;
      return rule;
    }
    return undefined;
  }

  function dialRuleFor(remoteParty: string): DialRule {
    for (const { rule, re } of compiledRules()) if (re.test(remoteParty)) return rule;
    return { match: '*', outcome: 'connect' };
  }

  function legConfigFrom(form: Form): Record<string, string> {
    const config: Record<string, string> = {};
    const ownerId = form.get('ownerId');
    if (ownerId) config.ownerId = ownerId;
    for (const [field, raw] of form) {
      if (field === 'ownerId' || !LEG_PUT_FIELDS.has(field) || raw === '') continue;
      if (field === 'chosenLayout' || field === 'layout') {
        if (!LAYOUTS.includes(raw)) throw parameterError(field);
        config[field] = raw;
      } else if (field === 'callLegProfile') {
        if (!store.collections.callLegProfiles.has(raw)) throw cmsFailure('callLegProfileDoesNotExist');
        config[field] = raw;
      } else if (field in CALL_LEG_PROFILE_FIELDS) {
        config[field] = store.normalise(schemas.callLegProfiles, field, raw);
      } else {
        config[field] = raw;
      }
    }
    return config;
  }

  function addLeg(call: CmsCall, input: { remoteParty: string; direction: 'incoming' | 'outgoing'; config: Record<string, string>; name?: string; userJid?: string; accessMethod?: string }): CmsLeg {
    checkLimits(call);
    const leg: CmsLeg = {
      id: randomUUID(),
      call: call.id,
      participant: randomUUID(),
      name: input.name ?? input.remoteParty,
      remoteParty: input.remoteParty,
      direction: input.direction,
      state: 'initial',
      createdAt: now(),
      ownerId: input.config.ownerId,
      config: input.config,
      sipCallId: randomUUID(),
      groupId: randomUUID(),
      localAddress: `${call.name || 'call'}@${address.replace(/^https?:\/\//, '').replace(/:\d+$/, '')}`,
      ended: false,
      accessMethod: input.accessMethod,
    };
    legs.set(leg.id, leg);
    call.legs.add(leg.id);
    call.maxLegs = Math.max(call.maxLegs, call.legs.size);
    counters.callLegsActive++;
    counters.callLegsMaxActive = Math.max(counters.callLegsMaxActive, counters.callLegsActive);
    shared.participants.set(leg.participant, {
      id: leg.participant,
      call: call.id,
      leg: leg.id,
      bridge: name,
      callBridgeId,
      name: leg.name,
      uri: input.remoteParty,
      tenant: call.tenant,
      isActivator: input.config.needsActivation !== 'true',
      config: {},
      userJid: input.userJid,
    });
    cdr.emit('callLegStart', 'callLeg', {
      '@_id': leg.id,
      displayName: leg.name,
      remoteParty: leg.remoteParty,
      localAddress: leg.localAddress,
      type: 'sip',
      direction: leg.direction,
      call: call.id,
      ownerId: leg.ownerId,
      groupId: leg.groupId,
      sipCallId: leg.sipCallId,
    });
    return leg;
  }

  function connect(leg: CmsLeg, at: number) {
    if (leg.ended) return;
    leg.state = 'connected';
    leg.connectedAt = at;
    cdr.emit('callLegUpdate', 'callLeg', { '@_id': leg.id, state: 'connected', call: leg.call, ownerId: leg.ownerId, groupId: leg.groupId, sipCallId: leg.sipCallId });
  }

  /** Places an outgoing SIP call: the state machine runs on the timeline from here. */
  function dialOut(call: CmsCall, form: Form): CmsLeg {
    const remoteParty = form.get('remoteParty') ?? '';
    if (!remoteParty) throw parameterError('remoteParty', 'missing');
    const config = legConfigFrom(form);
    const leg = addLeg(call, { remoteParty, direction: 'outgoing', config });
    const start = leg.createdAt;
    if (shared.enforceOutboundRules && !outboundRuleFor(remoteParty, call)) {
      timeline.at(start, () => endLeg(leg.id, 'noRoute'));
      return leg;
    }
    const rule = dialRuleFor(remoteParty);
    const ringAt = start + (rule.ringAfterMs ?? timing.ringAfterMs);
    switch (rule.outcome) {
      case 'connect':
        timeline.at(ringAt, () => ring(leg));
        timeline.at(ringAt + (rule.answerAfterMs ?? timing.answerAfterMs), (at) => connect(leg, at));
        break;
      case 'busy':
      case 'reject':
        timeline.at(ringAt, () => endLeg(leg.id, rule.outcome));
        break;
      case 'noAnswer':
        timeline.at(ringAt, () => ring(leg));
        timeline.at(ringAt + timing.noAnswerAfterMs, () => endLeg(leg.id, 'noAnswer'));
        break;
      case 'unreachable':
        timeline.at(ringAt, () => endLeg(leg.id, 'unreachable'));
        break;
    }
    return leg;
  }

  function ring(leg: CmsLeg) {
    if (!leg.ended && leg.state === 'initial') leg.state = 'ringing';
  }

  function endLeg(id: string, why: keyof typeof END_REASONS) {
    const leg = legs.get(id);
    if (!leg || leg.ended) return;
    leg.ended = true;
    legs.delete(id);
    shared.participants.delete(leg.participant);
    const call = calls.get(leg.call);
    if (call) {
      call.legs.delete(id);
      call.completedLegs++;
    }
    counters.callLegsActive--;
    counters.callLegsCompleted++;
    const reason = END_REASONS[why];
    cdr.emit('callLegEnd', 'callLeg', {
      '@_id': leg.id,
      reason,
      remoteTeardown: why === 'remote' || why === 'connect' || why === 'busy' || why === 'reject' ? 'true' : 'false',
      durationSeconds: leg.connectedAt !== undefined ? Math.floor((now() - leg.connectedAt) / 1000) : 0,
      unencryptedMedia: 'true',
    });
  }

  function getLeg(id: string): CmsLeg {
    const leg = legs.get(id);
    if (!leg) throw cmsNotFound('callLegDoesNotExist');
    return leg;
  }

  function updateLeg(id: string, form: Form) {
    const leg = getLeg(id);
    // remoteParty, bandwidth and confirmation are fixed once the leg exists; CMS ignores them here.
    const changes = legConfigFrom(form);
    delete changes.ownerId;
    for (const [field, raw] of form) if (raw === '' && field in leg.config) delete leg.config[field];
    Object.assign(leg.config, changes);
    if (changes.nameLabelOverride !== undefined) {
      const participant = shared.participants.get(leg.participant);
      if (participant) participant.name = changes.nameLabelOverride || leg.name;
    }
  }

  function addParticipant(call: CmsCall, form: Form): CmsParticipant {
    const leg = dialOut(call, form);
    const participant = shared.participants.get(leg.participant)!;
    for (const field of ['importance', 'nameLabelOverride', 'defaultLayout', 'layoutTemplate']) {
      const value = form.get(field);
      if (value) participant.config[field] = value;
    }
    return participant;
  }

  function updateParticipant(participant: CmsParticipant, form: Form) {
    for (const field of ['importance', 'nameLabelOverride', 'defaultLayout', 'layoutTemplate']) {
      const value = form.get(field);
      if (value === undefined) continue;
      if (field === 'importance' && value !== '' && !/^\d+$/.test(value)) throw parameterError(field);
      if (value === '') delete participant.config[field];
      else participant.config[field] = value;
    }
    const legForm: Form = new Map([...form].filter(([field]) => LEG_PUT_FIELDS.has(field) && field !== 'importance'));
    if (legs.has(participant.leg)) updateLeg(participant.leg, legForm);
  }

  /** PUT /calls/<id>/participants/* — everyone, or filterIds with mode exclude|selected. */
  function updateAllParticipants(callId: string, form: Form) {
    getCall(callId);
    const ids = (form.get('filterIds') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (ids.length > 20) throw parameterError('filterIds');
    const mode = form.get('mode') ?? 'exclude';
    if (mode !== 'exclude' && mode !== 'selected') throw parameterError('mode');
    const rest: Form = new Map([...form].filter(([field]) => field !== 'filterIds' && field !== 'mode'));
    for (const participant of [...shared.participants.values()]) {
      if (participant.call !== callId) continue;
      const listed = ids.includes(participant.id);
      if (mode === 'selected' ? !listed : listed) continue;
      updateParticipant(participant, rest);
    }
  }

  /** Lab hook: an endpoint calls in; it connects at once if let in. */
  function dialIn(call: CmsCall, input: { remoteParty: string; name?: string; userJid?: string; accessMethod?: string; config?: Record<string, string> }): CmsLeg {
    const leg = addLeg(call, { remoteParty: input.remoteParty, direction: 'incoming', config: input.config ?? {}, name: input.name, userJid: input.userJid, accessMethod: input.accessMethod });
    connect(leg, leg.createdAt);
    return leg;
  }

  function status() {
    let audioOut = 0;
    let audioIn = 0;
    let videoOut = 0;
    let videoIn = 0;
    for (const leg of legs.values()) {
      if (leg.state !== 'connected') continue;
      audioOut += 64_000;
      audioIn += leg.config.rxAudioMute === 'true' ? 0 : 40_380;
      videoOut += leg.config.txVideoMute === 'true' ? 0 : 1_500_000;
      videoIn += leg.config.rxVideoMute === 'true' ? 0 : 1_975_241;
    }
    return { ...counters, audioBitRateOutgoing: audioOut, audioBitRateIncoming: audioIn, videoBitRateOutgoing: videoOut, videoBitRateIncoming: videoIn };
  }

  return {
    name,
    callBridgeId,
    get address() {
      return address;
    },
    setAddress(value: string) {
      address = value;
    },
    softwareVersion: deps.softwareVersion,
    startedAt: deps.startedAt,
    clusterEnabled: deps.clusterEnabled,
    calls,
    legs,
    counters,
    alarms,
    cdr,
    setAlarm,
    getCall,
    createCall,
    updateCall,
    endCall,
    getLeg,
    dialOut,
    updateLeg,
    hangUp: (id: string) => {
      getLeg(id);
      endLeg(id, 'hangup');
    },
    /** Lab hook: the far end hangs up. */
    remoteHangUp: (id: string) => endLeg(id, 'remote'),
    addParticipant,
    updateParticipant,
    updateAllParticipants,
    dialIn,
    status,
    effectiveCallProfile,
  };
}
