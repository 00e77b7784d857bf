import { useState } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Anchor, Badge, Button, Group, NativeSelect, Paper, Text, TextInput, Title } from '@mantine/core';
import { DataTable } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { SmartAccountForm } from './forms.tsx';
import { listSmartAccounts, listVirtualAccounts, smartAccountLabel, type SmartAccount, type VirtualAccount } from './licensing-api.ts';
import { AlertsList, LicenseUsage, LicensingNav, SyncState, useDeleteSmartAccount, useSync } from './parts.tsx';

const PAGE_SIZE = 25;

export function SmartAccountTable({ accounts }: { accounts: SmartAccount[] }) {
  const can = useCan();
  const sync = useSync();
  const remove = useDeleteSmartAccount();
  const mayManage = can('licensing.manage');
  return (
    <DataTable<SmartAccount>
      caption="Smart accounts"
      rows={accounts}
      rowKey={(sa) => sa.id}
      searchable={accounts.length > 5}
      searchLabel="Search smart accounts"
      initialSort={{ key: 'name', direction: 'asc' }}
      empty={{ title: 'No smart account yet', description: 'Add the smart account your licences are in (its domain and an API client from Cisco Software Central); Switchboard then reads its virtual accounts.' }}
      columns={[
        { key: 'name', header: 'Name', sortValue: smartAccountLabel, searchValue: (sa) => `${smartAccountLabel(sa)} ${sa.domain}`, render: (sa) => <Anchor component={Link} to={`/licensing/smart-accounts/${sa.id}`}>{smartAccountLabel(sa)}</Anchor> },
        { key: 'domain', header: 'Domain', sortValue: (sa) => sa.domain, render: (sa) => sa.domain },
        { key: 'transport', header: 'Transport', sortValue: (sa) => sa.transport.mode, render: (sa) => ({ direct: 'Direct', proxy: 'Proxy', satellite: 'Satellite' })[sa.transport.mode] },
        { key: 'vas', header: 'Virtual accounts', numeric: true, sortValue: (sa) => sa.virtualAccountCount, render: (sa) => sa.virtualAccountCount },
        { key: 'alerts', header: 'Alerts', numeric: true, sortValue: (sa) => sa.alerts.filter((a) => !a.acknowledgedAt).length, render: (sa) => { const open = sa.alerts.filter((a) => !a.acknowledgedAt).length; return open ? <Badge color="yellow" variant="light">{open}</Badge> : 0; } },
        { key: 'lastSync', header: 'Last sync', sortValue: (sa) => sa.lastSyncAt, render: (sa) => <Time value={sa.lastSyncAt} /> },
        { key: 'sync', header: 'Sync', render: (sa) => (sa.lastSyncJobId ? <SyncState jobId={sa.lastSyncJobId} name={smartAccountLabel(sa)} /> : '—') },
        ...(mayManage
          ? [
              {
                key: 'actions',
                header: <Text span size="sm" fw={700}>Actions</Text>,
                render: (sa: SmartAccount) => (
                  <Group gap={4} wrap="nowrap">
                    <Button size="compact-xs" variant="default" loading={sync.isPending && sync.variables?.id === sa.id} onClick={() => sync.mutate(sa)} aria-label={`Sync ${smartAccountLabel(sa)}`}>Sync</Button>
                    <Button size="compact-xs" variant="light" color="red" disabled={remove.pending} onClick={() => void remove.ask(sa)} aria-label={`Delete ${smartAccountLabel(sa)}`}>Delete</Button>
                  </Group>
                ),
              },
            ]
          : []),
      ]}
      footer={<TimeZoneNote />}
    />
  );
}

/** Virtual accounts of every smart account (or one), paged by the server, filtered by name. */
export function VirtualAccountTable({ smartAccountId }: { smartAccountId?: string }) {
  const [name, setName] = useState('');
  const [mode, setMode] = useState('');
  const [offset, setOffset] = useState(0);
  const list = useQuery({
    queryKey: ['licensing', 'va', { smartAccountId, name, mode, offset }],
    queryFn: ({ signal }) => listVirtualAccounts({ smartAccountId, name: name || undefined, licenseMode: mode || undefined, offset, limit: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const filtered = Boolean(name || mode);
  return (
    <>
      <Group align="flex-end" mb="sm" gap="sm">
        <TextInput label="Filter virtual accounts by name" value={name} onChange={(e) => { setName(e.currentTarget.value); setOffset(0); }} maw={320} />
        <NativeSelect label="License mode" value={mode} onChange={(e) => { setMode(e.currentTarget.value); setOffset(0); }} data={[{ value: '', label: 'Any' }, { value: 'none', label: 'Not set' }, 'Enterprise', 'HCS', 'HCS-LE']} />
      </Group>
      <ErrorNotice error={list.error} title="Could not load the virtual accounts" />
      {list.data && (
        <DataTable<VirtualAccount>
          caption="Virtual accounts"
          rows={list.data.items}
          rowKey={(va) => va.id}
          paging={{ total: list.data.total, offset, limit: PAGE_SIZE, onChange: setOffset }}
          empty={filtered ? { title: 'No virtual account matches', description: 'Clear the filters, or search for part of the name.' } : { title: 'No virtual accounts yet', description: 'They are read from CSSM when a smart account is added or synced: add one, or run Sync.' }}
          columns={[
            { key: 'name', header: 'Name', sortValue: (va) => va.name, render: (va) => <Anchor component={Link} to={`/licensing/virtual-accounts/${va.id}`}>{va.name}</Anchor> },
            ...(smartAccountId ? [] : [{ key: 'sa', header: 'Smart account', sortValue: (va: VirtualAccount) => va.smartAccountName, render: (va: VirtualAccount) => va.smartAccountName ?? va.domain }]),
            { key: 'access', header: 'Access', sortValue: (va) => va.accessLevel, render: (va) => va.accessLevel },
            { key: 'mode', header: 'License mode', sortValue: (va) => va.licenseMode, render: (va) => va.licenseMode ?? <Text span c="dimmed" size="sm">Not set</Text> },
            { key: 'clusters', header: 'Clusters', numeric: true, sortValue: (va) => va.clusterCount, render: (va) => va.clusterCount },
          ]}
          footer={<Text size="sm" c="dimmed">{list.data.total} virtual account{list.data.total === 1 ? '' : 's'}</Text>}
        />
      )}
    </>
  );
}

export function SmartAccountsPage() {
  const can = useCan();
  const [adding, setAdding] = useState(false);
  const [usageOf, setUsageOf] = useState<string | null>(null);
  const list = useQuery({ queryKey: ['licensing', 'sa'], queryFn: ({ signal }) => listSmartAccounts(signal) });
  const accounts = list.data?.items ?? [];
  const usage = accounts.find((sa) => sa.id === usageOf) ?? accounts.find((sa) => sa.status === 'active') ?? accounts[0];
  return (
    <>
      <PageHeader title="Smart Licensing">{can('licensing.manage') && <Button onClick={() => setAdding(true)}>Add smart account</Button>}</PageHeader>
      <LicensingNav />
      <SmartAccountForm opened={adding} onClose={() => setAdding(false)} />
      <ErrorNotice error={list.error} title="Could not load the smart accounts" />
      <Paper component="section" aria-labelledby="sa-title" mb="md">
        <Title order={2} fz="lg" id="sa-title" mb="sm">Smart accounts</Title>
        {list.data && <SmartAccountTable accounts={accounts} />}
      </Paper>
      {accounts.some((sa) => sa.alerts.length > 0) && (
        <Paper component="section" aria-labelledby="alerts-title" mb="md">
          <Title order={2} fz="lg" id="alerts-title" mb="sm">Alerts</Title>
          <AlertsList accounts={accounts} />
        </Paper>
      )}
      {usage && (
        <>
          {accounts.length > 1 && <NativeSelect label="License usage of" mb="xs" maw={320} data={accounts.map((sa) => ({ value: sa.id, label: smartAccountLabel(sa) }))} value={usage.id} onChange={(e) => setUsageOf(e.currentTarget.value)} />}
          <LicenseUsage smartAccountId={usage.id} />
        </>
      )}
      {accounts.length > 0 && (
        <Paper component="section" aria-labelledby="va-title">
          <Title order={2} fz="lg" id="va-title" mb="sm">Virtual accounts</Title>
          <VirtualAccountTable />
        </Paper>
      )}
    </>
  );
}
