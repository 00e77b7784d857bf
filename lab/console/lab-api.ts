import { request } from '../../platform/console/src/api.ts';

// The Lab API as the console reads it (lab/lab.routes.ts, lab/lab-licensing.routes.ts): the
// simulators' own memory, not Switchboard's records of them.

export const enc = encodeURIComponent;

export type CmsFailNext = { path: string; method?: string; count: number; status?: number; body?: string };
export type CmsFaults = { down?: boolean; hang?: boolean; slowMs?: number; busy?: boolean; unauthorized?: boolean; malformedXml?: boolean; pageCap?: number; failNext?: CmsFailNext[] };
/** null or false clears a fault; omitted keys keep theirs. */
export type CmsFaultsPatch = { [K in keyof CmsFaults]?: CmsFaults[K] | null };
export type CmsNode = { name: string; callBridgeId: string; baseUrl: string; advertisedAddress: string; up: boolean; faults: CmsFaults; certificateFingerprint: string | null };
export type CmsVariance = { advertiseScheme?: 'http' | 'https' | null; cdrs?: boolean; pageCap?: number | null; forgetBulkSyncsOnRestart?: boolean; maxConcurrentRequests?: number | null; throttleStatus?: 503 | 429 | null };
export type CmsCluster = { name: string; username: string; settings: CmsVariance; nodes: CmsNode[] };
export type LabOverview = { enabled: boolean; cms: CmsCluster[] };
export type CmsLeg = { id: string; participantId: string; name: string; remoteParty: string; direction: 'incoming' | 'outgoing'; state: 'initial' | 'ringing' | 'connected'; createdAt: string; connectedAt: string | null };
export type CmsCall = { id: string; name: string; node: string; callType: 'coSpace' | 'adHoc'; coSpaceId: string | null; startedAt: string; legs: CmsLeg[] };
export type TraceEntry = { n: number; at: string; method: string; path: string; status?: number; size?: number; location?: string; requestBody?: string; fault?: string };

export type CssmFault =
  | { kind: 'none' }
  | { kind: 'unauthorized' }
  | { kind: 'forbidden' }
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  | { kind: 'server-error'; status: 500 | 502 | 503 | 504 }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'down' };
export type CssmFaultState = { fault: CssmFault; fromCall: number; includeTokenEndpoint: boolean };
export type CssmBehaviour = { maxPageSize: number; totalRecords: boolean; ignoreOffset: boolean; satelliteMarker: string };
export type Cssm = {
  running: boolean;
  url: string | null;
  tokenUrl: string | null;
  apiCalls: number;
  fault: CssmFaultState | null;
  behaviour: CssmBehaviour | null;
  smartAccounts: Array<{
    domain: string; name: string; id: number; accountType: string; virtualAccounts: number; satelliteSynced: number; privateAccounts: number; satellites: string[]; registrationTokens: number;
    devices: Array<{ hostname: string; productDescription: string; serialNumber: string; virtualAccount: string; registeredAt: string; usage: Record<string, number> }>;
    licenses: Array<{ virtualAccount: string; license: string; quantity: number; inUse: number }>;
  }>;
};

export type UcFault = { kind: 'none' } | { kind: 'down' } | { kind: 'server-error' } | { kind: 'slow'; delayMs: number };
export type UcBehaviour = { modeChangeMs: number; revertModeChanges: number; registrationMs: number; restartUnavailable: boolean; axlVersions: string[] };
export type UcCluster = {
  name: string; type: 'CUCM' | 'CUC'; version: string; publisherUrl: string; nodes: Array<{ name: string; url: string; role: string }>;
  deploymentMode: string; transportMode: string; transportUrl: string;
  registration: { status: string; smartAccount: string | null; virtualAccount: string | null; registeredAt: string | null; lastRenewal: string | null; exportControlled: string; failedReason: string | null };
  authorization: string; evaluationRemaining: string; rebooting: boolean; reboots: number; users: number; fault: UcFault; behaviour: UcBehaviour;
};

// The simulators' own lists (lab/cssm/cssm.simulator.ts, lab/cucm/uc.simulator.ts); those modules run
// on Node only, so the console keeps a copy — the API refuses anything else with a field message.
export const satelliteMarkerStyles = ['satelliteName', 'satelliteSynced', 'satelliteSyncedString', 'satellite', 'satelliteId', 'source', 'associationType', 'none'] as const;
export const axlSchemaVersions = ['10.0', '10.5', '11.0', '11.5', '12.0', '12.5', '14.0', '15.0'] as const;

export const labApi = {
  overview: () => request<LabOverview>('/api/v1/lab'),
  cmsCalls: (cluster: string) => request<{ calls: CmsCall[] }>(`/api/v1/lab/cms/${enc(cluster)}/calls`),
  cmsTrace: (cluster: string, node: string) => request<{ entries: TraceEntry[] }>(`/api/v1/lab/cms/${enc(cluster)}/nodes/${enc(node)}/trace`),
  setCmsFaults: (cluster: string, node: string, patch: CmsFaultsPatch) => request<CmsFaults>(`/api/v1/lab/cms/${enc(cluster)}/nodes/${enc(node)}/faults`, { method: 'PUT', body: patch }),
  clearCmsFaults: (cluster: string, node: string) => request<CmsFaults>(`/api/v1/lab/cms/${enc(cluster)}/nodes/${enc(node)}/faults`, { method: 'DELETE' }),
  setCmsSettings: (cluster: string, patch: CmsVariance) => request<CmsVariance>(`/api/v1/lab/cms/${enc(cluster)}/settings`, { method: 'PUT', body: patch }),
  restartCmsNode: (cluster: string, node: string) => request<{ restarted: boolean }>(`/api/v1/lab/cms/${enc(cluster)}/nodes/${enc(node)}/restart`, { method: 'POST' }),
  rotateCmsCertificate: (cluster: string, node: string) => request<{ fingerprint: string }>(`/api/v1/lab/cms/${enc(cluster)}/nodes/${enc(node)}/certificate/rotate`, { method: 'POST' }),
  cssm: () => request<Cssm>('/api/v1/lab/cssm'),
  setCssmFault: (body: { fault: CssmFault; afterCalls?: number; includeTokenEndpoint?: boolean }) => request<CssmFaultState>('/api/v1/lab/cssm/fault', { method: 'PUT', body }),
  clearCssmFault: () => request<CssmFaultState>('/api/v1/lab/cssm/fault', { method: 'DELETE' }),
  setCssmBehaviour: (patch: Partial<CssmBehaviour>) => request<CssmBehaviour>('/api/v1/lab/cssm/behaviour', { method: 'PUT', body: patch }),
  uc: () => request<{ running: boolean; clusters: UcCluster[] }>('/api/v1/lab/uc'),
  setUcFault: (cluster: string, fault: UcFault) => request<UcFault>(`/api/v1/lab/uc/${enc(cluster)}/fault`, { method: 'PUT', body: fault }),
  rotateUcCertificate: (cluster: string) => request<{ fingerprint: string }>(`/api/v1/lab/uc/${enc(cluster)}/certificate/rotate`, { method: 'POST' }),
  clearUcFault: (cluster: string) => request<UcFault>(`/api/v1/lab/uc/${enc(cluster)}/fault`, { method: 'DELETE' }),
  setUcBehaviour: (cluster: string, patch: Partial<UcBehaviour>) => request<UcBehaviour>(`/api/v1/lab/uc/${enc(cluster)}/behaviour`, { method: 'PUT', body: patch }),
};

/** A CMS node's faults in words, one entry each (also the Active faults list). */
export function describeCmsFaults(f: CmsFaults): string[] {
  const out: string[] = [];
  if (f.down) out.push('down');
  if (f.hang) out.push('hangs');
  if (f.slowMs) out.push(`slow (${f.slowMs} ms)`);
  if (f.busy) out.push('503 busy');
  if (f.unauthorized) out.push('401 always');
  if (f.malformedXml) out.push('malformed XML');
  if (f.pageCap) out.push(`page cap ${f.pageCap}`);
  if (f.failNext?.length) out.push(`${f.failNext.length} scripted failure(s)`);
  return out;
}

export function describeCssmFault(f: CssmFault): string {
  if (f.kind === 'none') return 'none';
  if (f.kind === 'rate-limited') return `429, Retry-After ${f.retryAfterSeconds} s`;
  if (f.kind === 'server-error') return `HTTP ${f.status}`;
  if (f.kind === 'slow') return `slow (${f.delayMs} ms)`;
  if (f.kind === 'unauthorized') return '401 on every API call';
  if (f.kind === 'forbidden') return '403 on every API call';
  return f.kind;
}

export function describeUcFault(f: UcFault): string {
  if (f.kind === 'slow') return `slow (${f.delayMs} ms)`;
  if (f.kind === 'server-error') return '500 on every request';
  return f.kind;
}

// The Lab's room codecs (lab/ce/ce.routes.ts): each touch panel as the codec holds it.
export type CeFaults = { down?: boolean; unauthorized?: boolean; slowMs?: number; failNext?: Array<{ path: string; count: number; status: number }> };
export type CeBooking = { id: string; title: string; organizer: string; privacy: string; startTime: string; endTime: string; startTimeBuffer: number; endTimeBuffer: number; number: string; protocol: string; connectMode: string };
export type CeCall = { id: number; number: string; bookingId: string; status: string; reason?: string };
export type CeCodec = {
  name: string; url: string; username: string; productId: string; version: string; webexRegistered: boolean; sipUri: string; lastUpdated: string | null;
  pushes: Array<{ method: string; count: number; at: string }>; bookings: CeBooking[]; calls: CeCall[]; faults: CeFaults;
};

export const ceApi = {
  codecs: () => request<{ items: CeCodec[] }>('/api/v1/lab/ce'),
  join: (codec: string, bookingId: string) => request<{ joined: boolean; reason?: string; call?: CeCall }>(`/api/v1/lab/ce/${enc(codec)}/join`, { method: 'POST', body: { bookingId } }),
  setFaults: (codec: string, faults: CeFaults) => request<CeFaults>(`/api/v1/lab/ce/${enc(codec)}/faults`, { method: 'PUT', body: faults }),
  clearFaults: (codec: string) => request<CeFaults>(`/api/v1/lab/ce/${enc(codec)}/faults`, { method: 'DELETE' }),
};

export function describeCeFaults(f: CeFaults): string[] {
  const out: string[] = [];
  if (f.down) out.push('down');
  if (f.unauthorized) out.push('401 always');
  if (f.slowMs) out.push(`slow (${f.slowMs} ms)`);
  if (f.failNext?.length) out.push(`${f.failNext.length} scripted failure(s)`);
  return out;
}
