import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Anchor, Badge, Button, Group, NativeSelect, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { request } from '../../platform/console/src/api.ts';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Pager } from '../../platform/console/src/components/Pager.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { PartnerNav } from './PartnerNav.tsx';

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

const statusColor: Record<Report['status'], string> = { IN_PROGRESS: 'blue', COMPLETED: 'green', FAILED: 'red' };

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
  const headers = ['Customer', 'Billing ID', 'Internal', 'User ID', 'Self-activated', 'First start', 'From', 'To', 'Package', 'Quantity'];
  return (
    <Stack gap="xs" component="section" aria-labelledby="billing-records">
      <Title order={3} fz="md" id="billing-records">
        Records
      </Title>
      <Group gap="sm" align="flex-end">
        <NativeSelect label="Customer" data={[{ value: '', label: 'All customers' }, ...customers]} value={filter.spEnterpriseId} onChange={(e) => change({ spEnterpriseId: e.currentTarget.value })} w={220} />
        <NativeSelect label="Package" data={[{ value: '', label: 'All packages' }, ...packages]} value={filter.package} onChange={(e) => change({ package: e.currentTarget.value })} w={180} />
        <TextInput label="User ID" type="search" value={filter.userId} onChange={(e) => change({ userId: e.currentTarget.value })} w={220} />
      </Group>
      <ErrorNotice error={records.error} title="Could not read the records" />
      <Table.ScrollContainer minWidth={900}>
        <Table aria-label={`Billing records ${report.billingPeriod}`} striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              {headers.map((h) => (
                <Table.Th key={h} scope="col">
                  {h}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(records.data?.items ?? []).map((r, i) => (
              <Table.Tr key={`${r.subscriberId}-${r.billingStartDate}-${i}`}>
                <Table.Td>{r.spEnterpriseId}</Table.Td>
                <Table.Td>{r.billingId}</Table.Td>
                <Table.Td>{r.internal === 'true' ? 'yes' : 'no'}</Table.Td>
                <Table.Td>{r.userId}</Table.Td>
                <Table.Td>{r.selfActivated === 'true' ? 'yes' : 'no'}</Table.Td>
                <Table.Td>{r.firstStartDate}</Table.Td>
                <Table.Td>{r.billingStartDate}</Table.Td>
                <Table.Td>{r.billingEndDate}</Table.Td>
                <Table.Td>{r.package}</Table.Td>
                <Table.Td>{r.quantity}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {records.data && records.data.total === 0 && (
        <Text size="sm" c="dimmed">
          No records match. Choose all customers and packages, or clear the user ID.
        </Text>
      )}
      {records.data && <Pager total={records.data.total} offset={offset} limit={limit} onChange={setOffset} label="Billing records" />}
    </Stack>
  );
}

function ReportDetail({ report }: { report: Report }) {
  const summary = report.summary;
  return (
    <Paper withBorder p="md" radius="md" mt="lg" component="section" aria-labelledby="billing-detail">
      <Stack gap="sm">
        <Title order={2} fz="lg" id="billing-detail">
          Billing report {report.billingPeriod}
        </Title>
        <Text size="sm">
          {report.recordCount} records, {summary?.subscribers ?? 0} subscribers.{' '}
          {report.tempDownloadURL && (
            <Anchor href={report.tempDownloadURL} download>
              Download CSV
            </Anchor>
          )}
        </Text>
        <Title order={3} fz="md">
          Totals by package
        </Title>
        <Table aria-label="Totals by package" striped maw={480}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Package</Table.Th>
              <Table.Th scope="col">Records</Table.Th>
              <Table.Th scope="col">Quantity</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {packages
              .filter((p) => summary?.byPackage[p])
              .map((p) => (
                <Table.Tr key={p}>
                  <Table.Td>{p}</Table.Td>
                  <Table.Td>{summary!.byPackage[p]!.records}</Table.Td>
                  <Table.Td>{q4(summary!.byPackage[p]!.quantity)}</Table.Td>
                </Table.Tr>
              ))}
          </Table.Tbody>
        </Table>
        <Title order={3} fz="md">
          Totals by customer
        </Title>
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="Totals by customer" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Customer</Table.Th>
                <Table.Th scope="col">Records</Table.Th>
                <Table.Th scope="col">Quantity</Table.Th>
                {packages.map((p) => (
                  <Table.Th key={p} scope="col">
                    {p}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {Object.entries(summary?.byCustomer ?? {})
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([customer, totals]) => (
                  <Table.Tr key={customer}>
                    <Table.Td>{customer}</Table.Td>
                    <Table.Td>{totals.records}</Table.Td>
                    <Table.Td>{q4(totals.quantity)}</Table.Td>
                    {packages.map((p) => (
                      <Table.Td key={p}>{totals.byPackage[p] === undefined ? '' : q4(totals.byPackage[p])}</Table.Td>
                    ))}
                  </Table.Tr>
                ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        <Records report={report} />
      </Stack>
    </Paper>
  );
}

export function BillingPage() {
  const can = useCan();
  const client = useQueryClient();
  const [selected, setSelected] = useState<string | null>(null);
  const form = useForm({
    mode: 'controlled',
    initialValues: { billingPeriod: lastMonth() },
    validate: { billingPeriod: (v) => (/^\d{4}-(0[1-9]|1[0-2])$/.test(v) ? null : 'Choose a month, such as 2021-05.') },
  });
  const reports = useQuery({
    queryKey: ['billing', 'reports'],
    queryFn: () => request<{ items: Report[] }>('/api/v1/partner/billing/reports'),
    // Follow generation while a report is in progress.
    refetchInterval: (query) => (query.state.data?.items.some((r) => r.status === 'IN_PROGRESS') ? 1000 : false),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['billing'] });
  const create = useMutation({
    mutationFn: (billingPeriod: string) => request<Report>('/api/v1/partner/billing/reports', { method: 'POST', body: { billingPeriod } }),
    onSuccess: (_r, period) => notifySuccess(`The report of ${period} is being made; this list follows it.`, 'Billing report started'),
    onError: (error) => form.setErrors(fieldErrors(error)),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (r: Report) => request(`/api/v1/partner/billing/reports/${r.reportId}`, { method: 'DELETE' }),
    onSuccess: (_x, r) => notifySuccess(`The report of ${r.billingPeriod} is deleted.`),
    onError: (error) => notifyError(error, 'Could not delete the report'),
    onSettled: refresh,
  });
  const items = reports.data?.items ?? [];
  const current = items.find((r) => r.reportId === selected && r.status === 'COMPLETED');
  const columns: Column<Report>[] = [
    { key: 'month', header: 'Month', sortValue: (r) => r.billingPeriod, render: (r) => r.billingPeriod },
    {
      key: 'status',
      header: 'Status',
      sortValue: (r) => r.status,
      render: (r) => (
        <Badge variant="light" color={statusColor[r.status]} tt="none">
          {r.status === 'IN_PROGRESS' ? `IN_PROGRESS ${r.progressPercent}%` : r.status}
        </Badge>
      ),
    },
    { key: 'records', header: 'Records', numeric: true, render: (r) => r.recordCount ?? '' },
    { key: 'created', header: 'Created', sortValue: (r) => r.created, render: (r) => <Time value={r.created} /> },
    { key: 'by', header: 'Created by', render: (r) => r.createdByName },
    {
      key: 'actions',
      header: 'Actions',
      render: (r) => (
        <Group gap={4} wrap="nowrap">
          {r.status === 'COMPLETED' && (
            <Button size="compact-xs" variant="light" onClick={() => setSelected(r.reportId)}>
              Show {r.billingPeriod}
            </Button>
          )}
          {r.status === 'FAILED' && (
            <Text size="xs" c="red.8">
              {r.errors?.map((e) => e.description).join('; ')}
            </Text>
          )}
          {can('billing.manage') && (
            <Button
              size="compact-xs"
              variant="subtle"
              color="red"
              onClick={async () => {
                if (await confirmAction({ title: `Delete the billing report of ${r.billingPeriod}?`, message: 'Its records and CSV go; you can make the report of that month again.', confirmLabel: 'Delete report', danger: true })) remove.mutate(r);
              }}
            >
              Delete {r.billingPeriod}
            </Button>
          )}
        </Group>
      ),
    },
  ];
  return (
    <>
      <PageHeader title="Billing reports" />
      <PartnerNav />
      {can('billing.manage') && (
        <form onSubmit={form.onSubmit((v) => create.mutate(v.billingPeriod))} aria-label="Create a billing report" noValidate>
          <Group align="flex-start" mb="md">
            <TextInput label="Billing month" type="month" w={220} {...form.getInputProps('billingPeriod')} />
            <Button type="submit" mt={24} loading={create.isPending}>
              Create report
            </Button>
          </Group>
        </form>
      )}
      <ErrorNotice error={create.error} title="Could not create the report" />
      <ErrorNotice error={reports.error} title="Could not read the billing reports" />
      {reports.isSuccess && (
        <DataTable
          caption="Billing reports"
          columns={columns}
          rows={items}
          rowKey={(r) => r.reportId}
          initialSort={{ key: 'month', direction: 'desc' }}
          empty={{ title: 'No billing reports yet.', description: 'Choose a month above and create its report: every subscriber’s days in each package, prorated.' }}
          footer={<TimeZoneNote />}
        />
      )}
      {current && <ReportDetail report={current} />}
    </>
  );
}
