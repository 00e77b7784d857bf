import { useEffect, useRef } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { request, type Page } from '../../platform/console/src/api.ts';
import type { CertificateView } from '../../platform/console/src/components/CertificateDialog.tsx';

// What the Licensing pages read and change (under /api/v1/licensing), and how they stay current:
// a list that shows a running job asks again until it ends; a job that ends refreshes every list.

export const base = '/api/v1/licensing';

export type Alert = { severity: string; message: string; at: string; acknowledgedAt?: string };
export type Transport = { mode: 'direct' | 'proxy' | 'satellite'; proxyHost: string | null; proxyPort: number | null; proxyUsername: string | null; hasProxyPassword: boolean; satelliteHost: string | null; satellitePort: number | null };
export type SmartAccount = {
  id: string;
  domain: string;
  name: string | null;
  clientId: string;
  hasClientSecret: boolean;
  transport: Transport;
  authGatewayUrl: string;
  cssmServerUrl: string;
  status: string;
  virtualAccountCount: number;
  satelliteVirtualAccountCount: number;
  lastSyncAt: string | null;
  lastSyncJobId: string | null;
  alerts: Alert[];
};
export type VirtualAccount = { id: string; smartAccountId: string; name: string; description: string; smartAccountName: string | null; domain: string; accessLevel: string; licenseMode: LicenseMode | null; removedFromCssm: boolean; clusterCount: number };
export type Cluster = {
  id: string;
  name: string;
  type: 'CUCM' | 'CUC';
  version: string;
  publisherUrl: string | null;
  adminUsername: string | null;
  hasAdminPassword: boolean;
  platformUsername: string | null;
  hasPlatformPassword: boolean;
  smartAccountId: string | null;
  smartAccountName: string | null;
  virtualAccountName: string | null;
  virtualAccountId: string | null;
  status: string;
  jobStatus: JobStatus | null;
  productUdi: string | null;
  lastOperationId: string | null;
  lastCheck: Record<string, unknown> | null;
  certificateTrust: 'ca' | 'pinned' | null;
  certificateFingerprint: string | null;
  certificate: CertificateView | null;
  presentedCertificate: CertificateView | null;
};
export type JobStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
export type Job = {
  id: string;
  jobType: string;
  operation: 'assign' | 'unassign' | 'reassign' | 'sync';
  entityType: string;
  entityName: string;
  clusterId: string | null;
  smartAccountId: string | null;
  virtualAccountId: string | null;
  targetVirtualAccountId: string | null;
  description: string;
  status: JobStatus;
  progressInfo: Record<string, string>;
  errorCode: string | null;
  errorDescription: string | null;
  recommendedAction: string | null;
  isRestartable: boolean;
  isCancelable: boolean;
  createdBy: string | null;
  startedAt: string;
  finishedAt: string | null;
};
export type JobDetails = Job & { jobState: string; attempts: number; progressPercent: number; progressMessage: string | null };
export type Started = { jobId: string; operation: string; description: string; warning: string | null };
export type Dashboard = {
  smartAccount: { id: string; name: string; domain: string };
  virtualAccounts: Array<{ name: string; compliance: string; licenses: Array<{ license: string; quantity: number; inUse: number; available: number; status: string }> }>;
  clusters: Array<{ id: string; name: string; type: string; virtualAccount: string; registered: boolean; compliance: string; usage: Array<{ license: string; inUse: number; status: string }> }>;
};

export const licenseModes = ['Enterprise', 'HCS', 'HCS-LE'] as const;
export type LicenseMode = (typeof licenseModes)[number];
export const clusterTypeLabel = (type: string) => (type === 'CUCM' ? 'Unified CM' : 'Unity Connection');
export const smartAccountLabel = (sa: Pick<SmartAccount, 'name' | 'domain'>) => sa.name ?? sa.domain;

/** How often a page asks again while something it shows is still running. */
export const RUNNING_POLL_MS = 1500;
export const whileRunning = (running: boolean) => (running ? RUNNING_POLL_MS : false);

export const getJob = (id: string, signal?: AbortSignal) => request<JobDetails>(`${base}/jobs/${id}`, { signal });
export const listSmartAccounts = (signal?: AbortSignal) => request<Page<SmartAccount>>(`${base}/smart-accounts`, { query: { limit: 100 }, signal });
export const listClusters = (query: Record<string, string | number | boolean | undefined>, signal?: AbortSignal) => request<Page<Cluster>>(`${base}/clusters`, { query, signal });
export const listVirtualAccounts = (query: Record<string, string | number | undefined>, signal?: AbortSignal) => request<Page<VirtualAccount>>(`${base}/virtual-accounts`, { query, signal });
export const listJobs = (query: Record<string, string | number | undefined>, signal?: AbortSignal) => request<Page<Job>>(`${base}/jobs`, { query, signal });

/**
 * One licensing job, asked again while it runs. When it ends, every licensing list is refreshed:
 * a sync changes the virtual accounts, an assignment the cluster's status and the VA's count.
 */
export function useWatchedJob(id: string | null | undefined) {
  const client = useQueryClient();
  const job = useQuery({
    queryKey: ['licensing', 'job', id],
    queryFn: ({ signal }) => getJob(id!, signal),
    enabled: Boolean(id),
    refetchInterval: (query) => whileRunning(query.state.data?.status === 'IN_PROGRESS'),
  });
  const status = job.data?.status;
  const seen = useRef(status);
  useEffect(() => {
    if (seen.current === 'IN_PROGRESS' && status && status !== 'IN_PROGRESS') {
      void client.invalidateQueries({ predicate: (query) => query.queryKey[0] === 'licensing' && !(query.queryKey[1] === 'job' && query.queryKey[2] === id) });
    }
    seen.current = status;
  }, [status, id, client]);
  return job;
}

/** After a change: every licensing query asks again (lists, details, the running jobs). */
export function useRefreshLicensing() {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: ['licensing'] });
}

/** Where a UC publisher shows its own certificate, for the operator to compare fingerprints. */
export const publisherCertificateHint = 'Cisco Unified OS Administration → Security → Certificate Management, the tomcat certificate';
