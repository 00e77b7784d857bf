import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Pager } from '../../platform/console/src/components/Pager.tsx';
import { useCan } from '../../platform/console/src/session.tsx';

// P16: monthly billing reports — create one, follow its job, the month's totals by package and by
// customer, and its records with filters; the CSV through the temporary download link.

const packages = ['softphone', 'basic', 'standard', 'premium'] as const;
type Totals = { records: number; quantity: number };
type Report = {
  id: string;
  reportId: string;
  billingPeriod: string;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  created: string;
  createdByName: string;
  progressPercent: number;
  recordCount: number | null;
  tempDownloadURL?: string;
  errors?: { code: number; description: string }[];
  summary: { subscribers: number; byPackage: Record<string, Totals>; byCustomer: Record<string, Totals & { byPackage: Record<string, number> }> } | null;
};
type BillingRecord = Record<'resellerName' | 'billingId' | 'spEnterpriseId' | 'internal' | 'userId' | 'subscriberId' | 'selfActivated' | 'firstStartDate' | 'billingStartDate' | 'billingEndDate' | 'package' | 'quantity', string>;

const q4 = (n: number) => n.toFixed(4);
const lastMonth = () => {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
};

function Records({ report }: { report: Report }) {
  const [filter, setFilter] = useState({ spEnterpriseId: '', package: '', userId: '' });
  const [offset, setOffset] = useState(0);
  const limit = 50;
  const records = useQuery({
    queryKey: ['billing', 'records', report.reportId, filter, offset],
    queryFn: () => request<{ items: BillingRecord[]; total: number; offset: number; limit: number }>(`/api/v1/partner/billing/reports/${report.reportId}/records`, { query: { ...filter, offset, limit } }),
  });
  const change = (patch: Partial<typeof filter>) => {
    setFilter({ ...filter, ...patch });
    setOffset(0);
  };
  const customers = Object.keys(report.summary?.byCustomer ?? {}).sort();
  return (
    <section aria-labelledby="billing-records">
      <h3 id="billing-records">Records</h3>
      <div className="toolbar">
        <label>
          Customer{' '}
          <select value={filter.spEnterpriseId} onChange={(e) => change({ spEnterpriseId: e.target.value })}>
            <option value="">All customers</option>
            {customers.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>{' '}
        <label>
          Package{' '}
          <select value={filter.package} onChange={(e) => change({ package: e.target.value })}>
            <option value="">All packages</option>
            {packages.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>{' '}
        <label>
          User ID <input type="search" value={filter.userId} onChange={(e) => change({ userId: e.target.value })} />
        </label>
      </div>
      {records.error && <ErrorNotice error={records.error} />}
      <table className="table" aria-label={`Billing records ${report.billingPeriod}`}>
        <thead>
          <tr>
            <th scope="col">Customer</th>
            <th scope="col">Billing ID</th>
            <th scope="col">Internal</th>
            <th scope="col">User ID</th>
            <th scope="col">Self-activated</th>
            <th scope="col">First start</th>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col">Package</th>
            <th scope="col">Quantity</th>
          </tr>
        </thead>
        <tbody>
          {(records.data?.items ?? []).map((r, i) => (
            <tr key={`${r.subscriberId}-${r.billingStartDate}-${i}`}>
              <td>{r.spEnterpriseId}</td>
              <td>{r.billingId}</td>
              <td>{r.internal === 'true' ? 'yes' : 'no'}</td>
              <td>{r.userId}</td>
              <td>{r.selfActivated === 'true' ? 'yes' : 'no'}</td>
              <td>{r.firstStartDate}</td>
              <td>{r.billingStartDate}</td>
              <td>{r.billingEndDate}</td>
              <td>{r.package}</td>
              <td>{r.quantity}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {records.data && records.data.total === 0 && <p>No records match.</p>}
      {records.data && <Pager total={records.data.total} offset={offset} limit={limit} onChange={setOffset} label="Billing records" />}
    </section>
  );
}

function ReportDetail({ report }: { report: Report }) {
  const summary = report.summary;
  return (
    <section aria-labelledby="billing-detail">
      <h2 id="billing-detail">Billing report {report.billingPeriod}</h2>
      <p>
        {report.recordCount} records, {summary?.subscribers ?? 0} subscribers.{' '}
        {report.tempDownloadURL && (
          <a href={report.tempDownloadURL} download>
            Download CSV
          </a>
        )}
      </p>
      <h3>Totals by package</h3>
      <table className="table" aria-label="Totals by package">
        <thead>
          <tr>
            <th scope="col">Package</th>
            <th scope="col">Records</th>
            <th scope="col">Quantity</th>
          </tr>
        </thead>
        <tbody>
          {packages
            .filter((p) => summary?.byPackage[p])
            .map((p) => (
              <tr key={p}>
                <td>{p}</td>
                <td>{summary!.byPackage[p]!.records}</td>
                <td>{q4(summary!.byPackage[p]!.quantity)}</td>
              </tr>
            ))}
        </tbody>
      </table>
      <h3>Totals by customer</h3>
      <table className="table" aria-label="Totals by customer">
        <thead>
          <tr>
            <th scope="col">Customer</th>
            <th scope="col">Records</th>
            <th scope="col">Quantity</th>
            {packages.map((p) => (
              <th key={p} scope="col">
                {p}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {Object.entries(summary?.byCustomer ?? {})
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([customer, totals]) => (
              <tr key={customer}>
                <td>{customer}</td>
                <td>{totals.records}</td>
                <td>{q4(totals.quantity)}</td>
                {packages.map((p) => (
                  <td key={p}>{totals.byPackage[p] === undefined ? '' : q4(totals.byPackage[p])}</td>
                ))}
              </tr>
            ))}
        </tbody>
      </table>
      <Records report={report} />
    </section>
  );
}

export function BillingPage() {
  const can = useCan();
  const client = useQueryClient();
  const [month, setMonth] = useState(lastMonth());
  const [selected, setSelected] = useState<string | null>(null);
  const reports = useQuery({
    queryKey: ['billing', 'reports'],
    queryFn: () => request<{ items: Report[] }>('/api/v1/partner/billing/reports'),
    // Follow generation while a report is in progress.
    refetchInterval: (query) => (query.state.data?.items.some((r) => r.status === 'IN_PROGRESS') ? 1000 : false),
  });
  const act = useMutation({
    mutationFn: (fn: () => Promise<unknown>) => fn(),
    onSettled: () => client.invalidateQueries({ queryKey: ['billing'] }),
  });
  const items = reports.data?.items ?? [];
  const current = items.find((r) => r.reportId === selected && r.status === 'COMPLETED');
  return (
    <>
      <PageHeader title="Billing reports" />
      {can('billing.manage') && (
        <form
          className="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            act.mutate(() => request('/api/v1/partner/billing/reports', { method: 'POST', body: { billingPeriod: month } }));
          }}
        >
          <label>
            Billing month <input type="month" value={month} onChange={(e) => setMonth(e.target.value)} required />
          </label>{' '}
          <button type="submit" className="button" disabled={act.isPending}>
            Create report
          </button>
        </form>
      )}
      {act.error && <ErrorNotice error={act.error} />}
      {reports.error && <ErrorNotice error={reports.error} />}
      <table className="table" aria-label="Billing reports">
        <thead>
          <tr>
            <th scope="col">Month</th>
            <th scope="col">Status</th>
            <th scope="col">Records</th>
            <th scope="col">Created by</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.reportId}>
              <td>{r.billingPeriod}</td>
              <td>{r.status === 'IN_PROGRESS' ? `IN_PROGRESS ${r.progressPercent}%` : r.status}</td>
              <td>{r.recordCount ?? ''}</td>
              <td>{r.createdByName}</td>
              <td>
                {r.status === 'COMPLETED' && (
                  <button type="button" onClick={() => setSelected(r.reportId)}>
                    Show {r.billingPeriod}
                  </button>
                )}
                {r.status === 'FAILED' && <span>{r.errors?.map((e) => e.description).join('; ')}</span>}
                {can('billing.manage') && (
                  <button type="button" onClick={() => window.confirm(`Delete the billing report of ${r.billingPeriod}?`) && act.mutate(() => request(`/api/v1/partner/billing/reports/${r.reportId}`, { method: 'DELETE' }))}>
                    Delete {r.billingPeriod}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length === 0 && reports.isSuccess && <p>No billing reports yet.</p>}
      {current && <ReportDetail report={current} />}
    </>
  );
}
