import { request, type Page } from '../../platform/console/src/api.ts';

// What the Partner pages read and send: the console API under /api/v1/partner (platform envelope).

export const packages = ['softphone', 'basic', 'standard', 'premium'] as const;
export type Package = (typeof packages)[number];
export const packageLabels: Record<Package, string> = { softphone: 'Softphone', basic: 'Basic', standard: 'Standard', premium: 'Premium' };
export const packageOptions = packages.map((p) => ({ value: p, label: packageLabels[p] }));

export type Customer = { id: string; spEnterpriseId: string; displayName: string; templateId: string; restricted: boolean; state: string; createdAt: string; packages: Record<Package, number> };
export type Template = {
  id: string;
  clusterId: string;
  name: string;
  provisioningId: string;
  provisioningAccount: string;
  trustedEmails: boolean;
  defaultPackage: Package;
  partnerAdminEmail: string;
  provisionExistingOrgs: boolean;
  adminInviteOnAttach: boolean;
  disableFreeCalling: boolean;
  prefillEmail: boolean;
  provisionAdminFirst: boolean;
  allowSelfActivation: boolean;
  wholesale: boolean;
  createdAt: string;
  updatedAt: string;
};
export type Cluster = { id: string; name: string; xsiActionsUrl: string; xsiEventsUrl: string; authServiceUrl: string; dndSync: boolean; customers?: number; templates?: number };
export type StatusRow = {
  id: string;
  userId: string;
  firstName: string;
  lastName: string;
  email: string | null;
  spEnterpriseId: string;
  package: Package;
  status: SubscriberStatus;
  errorCode: number | null;
  errorText: string | null;
  selfActivated: boolean;
  lastStatusChange: string;
};
export type SubscriberStatus = 'pending_email_input' | 'pending_email_validation' | 'pending_user_migration' | 'provisioning' | 'provisioned' | 'updating' | 'error';
export type TrendPoint = { period: string; asOf: string; source: 'snapshot' | 'history' } & Record<Package, number>;
export type Trends = { interval: string; from: string; to: string; timezone: string; points: TrendPoint[] };

export const listCustomers = (query: { q?: string; offset: number; limit: number }, signal?: AbortSignal) => request<Page<Customer>>('/api/v1/partner/customers', { query, signal });
export const getCustomer = (id: string, signal?: AbortSignal) => request<Customer>(`/api/v1/partner/customers/${encodeURIComponent(id)}`, { signal });
export const listCustomerSubscribers = (id: string, query: { excludeProvisioned?: string; offset: number; limit: number }, signal?: AbortSignal) =>
  request<Page<StatusRow>>(`/api/v1/partner/customers/${encodeURIComponent(id)}/subscribers`, { query, signal });
export const listTemplateSubscribers = (id: string, query: { excludeProvisioned?: string; offset: number; limit: number }, signal?: AbortSignal) =>
  request<Page<StatusRow>>(`/api/v1/partner/templates/${encodeURIComponent(id)}/users`, { query, signal });
export const getSubscriber = (id: string, signal?: AbortSignal) => request<StatusRow>(`/api/v1/partner/subscribers/${encodeURIComponent(id)}`, { signal });
export const listTemplates = (signal?: AbortSignal) => request<{ items: Template[] }>('/api/v1/partner/templates', { signal });
export const listClusters = (signal?: AbortSignal) => request<{ items: Cluster[] }>('/api/v1/partner/clusters', { signal });
export const getAnalytics = (signal?: AbortSignal) => request<{ usersPerPackage: Record<Package, number> }>('/api/v1/partner/analytics', { signal });
export const getTrends = (interval: string, signal?: AbortSignal) => request<Trends>('/api/v1/partner/analytics/trends', { query: { interval }, signal });

/** States that change by themselves (a job is at work): the views follow them closely. */
export const movingStates: SubscriberStatus[] = ['provisioning', 'updating'];
