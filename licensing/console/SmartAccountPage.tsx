import { useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { Anchor, Badge, Button, Paper, SimpleGrid, Text, Title } from '@mantine/core';
import { request } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { SmartAccountForm } from './forms.tsx';
import { base, smartAccountLabel, type SmartAccount } from './licensing-api.ts';
import { AlertsList, LicenseUsage, LicensingNav, SyncState, useDeleteSmartAccount, useSync } from './parts.tsx';
import { VirtualAccountTable } from './SmartAccountsPage.tsx';

export function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase">{label}</Text>
      <Text size="sm" component="div">{children}</Text>
    </div>
  );
}

const transportText = (sa: SmartAccount) => {
  const t = sa.transport;
  if (t.mode === 'proxy') return `HTTP/HTTPS proxy ${t.proxyHost}:${t.proxyPort}${t.proxyUsername ? ` (user ${t.proxyUsername})` : ''}`;
  if (t.mode === 'satellite') return `Satellite ${t.satelliteHost}:${t.satellitePort}`;
  return 'Direct';
};

export function SmartAccountPage() {
  const { id = '' } = useParams();
  const can = useCan();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const sync = useSync();
  const remove = useDeleteSmartAccount(() => void navigate('/licensing'));
  const query = useQuery({ queryKey: ['licensing', 'sa', id], queryFn: ({ signal }) => request<SmartAccount>(`${base}/smart-accounts/${id}`, { signal }) });
  const sa = query.data;
  const mayManage = can('licensing.manage');
  return (
    <>
      <Anchor component={Link} to="/licensing" size="sm" mb="xs" display="inline-block">← Smart accounts</Anchor>
      <PageHeader title={sa ? `Smart account ${smartAccountLabel(sa)}` : 'Smart account'}>
        {sa && mayManage && (
          <>
            <Button variant="default" loading={sync.isPending} onClick={() => sync.mutate(sa)}>Sync</Button>
            <Button variant="default" onClick={() => setEditing(true)}>Edit</Button>
            <Button color="red" variant="light" disabled={remove.pending} onClick={() => void remove.ask(sa)}>Delete</Button>
          </>
        )}
      </PageHeader>
      <LicensingNav />
      <ErrorNotice error={query.error} title="Could not load the smart account" />
      {sa && (
        <>
          <SmartAccountForm key={sa.id + String(editing)} existing={sa} opened={editing} onClose={() => setEditing(false)} />
          <Paper component="section" aria-labelledby="sa-facts" mb="md">
            <Title order={2} fz="lg" id="sa-facts" mb="sm">Details</Title>
            <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="md">
              <Fact label="Domain">{sa.domain}</Fact>
              <Fact label="Status"><Badge variant="light" tt="none" color={sa.status === 'active' ? 'green' : sa.status === 'error' ? 'red' : 'gray'}>{sa.status}</Badge></Fact>
              <Fact label="Client ID">{sa.clientId}</Fact>
              <Fact label="Transport">{transportText(sa)}</Fact>
              <Fact label="Virtual accounts">{sa.virtualAccountCount}{sa.satelliteVirtualAccountCount ? ` (${sa.satelliteVirtualAccountCount} from a satellite left out)` : ''}</Fact>
              <Fact label="Last sync"><Time value={sa.lastSyncAt} /></Fact>
              <Fact label="Latest sync job">{sa.lastSyncJobId ? <SyncState jobId={sa.lastSyncJobId} name={smartAccountLabel(sa)} /> : '—'}</Fact>
              <Fact label="CSSM server">{sa.transport.mode === 'satellite' ? '—' : sa.cssmServerUrl}</Fact>
            </SimpleGrid>
            <TimeZoneNote />
          </Paper>
          {sa.alerts.length > 0 && (
            <Paper component="section" aria-labelledby="sa-alerts" mb="md">
              <Title order={2} fz="lg" id="sa-alerts" mb="sm">Alerts</Title>
              <AlertsList accounts={[sa]} />
            </Paper>
          )}
          <LicenseUsage smartAccountId={sa.id} />
          <Paper component="section" aria-labelledby="sa-vas">
            <Title order={2} fz="lg" id="sa-vas" mb="sm">Virtual accounts</Title>
            <VirtualAccountTable smartAccountId={sa.id} />
          </Paper>
        </>
      )}
    </>
  );
}
