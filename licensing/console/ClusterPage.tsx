import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Anchor, Button, Code, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { request } from '../../platform/console/src/api.ts';
import { confirmCertificate } from '../../platform/console/src/components/CertificateDialog.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { AssignToVirtualAccountForm } from './forms.tsx';
import { JobTable } from './JobsPage.tsx';
import { base, clusterTypeLabel, publisherCertificateHint, useRefreshLicensing, whileRunning, type Cluster, type VirtualAccount } from './licensing-api.ts';
import { LicensingNav, RegistrationBadge } from './parts.tsx';
import { Fact } from './SmartAccountPage.tsx';
import { useUnassign } from './VirtualAccountPage.tsx';

type Check = { ok?: boolean; checkedAt?: string; version?: string; licenseMode?: string; licensing?: { registration?: string; authorization?: string; virtualAccount?: string }; [error: `${string}Error`]: string | undefined };

/** Cluster detail: registration, license mode, assigned virtual account, its jobs; assign, unassign, check, delete. */
export function ClusterPage() {
  const { id = '' } = useParams();
  const can = useCan();
  const navigate = useNavigate();
  const refresh = useRefreshLicensing();
  const [assigning, setAssigning] = useState(false);
  const unassign = useUnassign();
  const query = useQuery({
    queryKey: ['licensing', 'cluster', id],
    queryFn: ({ signal }) => request<Cluster>(`${base}/clusters/${id}`, { signal }),
    refetchInterval: (q) => whileRunning(q.state.data?.jobStatus === 'IN_PROGRESS'),
  });
  const cluster = query.data;
  const va = useQuery({
    queryKey: ['licensing', 'va', cluster?.virtualAccountId],
    queryFn: ({ signal }) => request<VirtualAccount>(`${base}/virtual-accounts/${cluster!.virtualAccountId}`, { signal }),
    enabled: Boolean(cluster?.virtualAccountId),
  });
  const check = useMutation({
    mutationFn: () => request<Check>(`${base}/clusters/${id}/check`, { method: 'POST' }),
    onSuccess: (r) => {
      if (r.ok) notifySuccess(`The publisher answered: version ${r.version}, license mode ${r.licenseMode}.`, 'Connection works');
      else notifyError(new Error(Object.entries(r).filter(([k]) => k.endsWith('Error')).map(([, v]) => v).join(' ')), 'The publisher did not answer everything');
      void refresh();
    },
    onError: (error) => notifyError(error, 'Could not check the cluster'),
  });
  const remove = useMutation({
    mutationFn: () => request(`${base}/clusters/${id}`, { method: 'DELETE' }),
    onSuccess: () => {
      notifySuccess(`${cluster?.name} was removed from the inventory.`, 'Cluster deleted');
      void refresh();
      void navigate('/licensing/clusters');
    },
    onError: (error) => notifyError(error, 'Could not delete the cluster'),
  });
  const askDelete = async () => {
    if (await confirmAction({ title: `Delete ${cluster!.name}?`, message: `${cluster!.name} leaves Switchboard's inventory with its stored credentials. The cluster itself is not changed.`, confirmLabel: 'Delete cluster', danger: true })) remove.mutate();
  };
  const mayManage = can('licensing.manage');
  const running = cluster?.jobStatus === 'IN_PROGRESS';
  const lastCheck = (cluster?.lastCheck ?? null) as Check | null;
  return (
    <>
      <Anchor component={Link} to="/licensing/clusters" size="sm" mb="xs" display="inline-block">← Clusters</Anchor>
      <PageHeader title={cluster ? `Cluster ${cluster.name}` : 'Cluster'}>
        {cluster && mayManage && (
          <>
            <Button variant="default" loading={check.isPending} onClick={() => check.mutate()}>Check connection</Button>
            {!cluster.virtualAccountId && <Button disabled={running} onClick={() => setAssigning(true)}>Assign to virtual account</Button>}
            {cluster.virtualAccountId && <Button color="red" variant="light" disabled={running || unassign.pending} onClick={() => void unassign.ask(cluster)}>Unassign</Button>}
            {!cluster.virtualAccountId && <Button color="red" variant="light" disabled={running || remove.isPending} onClick={() => void askDelete()}>Delete</Button>}
          </>
        )}
      </PageHeader>
      <LicensingNav />
      <ErrorNotice error={query.error} title="Could not load the cluster" />
      {cluster && (
        <>
          <AssignToVirtualAccountForm cluster={cluster} opened={assigning} onClose={() => setAssigning(false)} onStarted={(job) => void navigate(`/licensing/jobs/${job.jobId}`)} />
          {running && cluster.lastOperationId && (
            <Alert color="blue" variant="light" role="status" mb="md">
              A job is running on this cluster: <Anchor component={Link} to={`/licensing/jobs/${cluster.lastOperationId}`}>follow its steps</Anchor>.
            </Alert>
          )}
          <Paper component="section" aria-labelledby="cluster-facts" mb="md">
            <Title order={2} fz="lg" id="cluster-facts" mb="sm">Licensing</Title>
            <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="md">
              <Fact label="Registration"><RegistrationBadge status={cluster.status} /></Fact>
              <Fact label="Virtual account">{cluster.virtualAccountId ? <Anchor component={Link} to={`/licensing/virtual-accounts/${cluster.virtualAccountId}`}>{cluster.virtualAccountName}</Anchor> : 'Not assigned'}</Fact>
              <Fact label="Smart account">{cluster.smartAccountId ? <Anchor component={Link} to={`/licensing/smart-accounts/${cluster.smartAccountId}`}>{cluster.smartAccountName}</Anchor> : '—'}</Fact>
              <Fact label="License mode">{va.data?.licenseMode ?? lastCheck?.licenseMode ?? '—'}{lastCheck?.licenseMode && va.data?.licenseMode && lastCheck.licenseMode !== va.data.licenseMode ? ` (publisher said ${lastCheck.licenseMode} at its last check)` : ''}</Fact>
              <Fact label="Product instance">{cluster.productUdi ? <Code>{cluster.productUdi}</Code> : '—'}</Fact>
              <Fact label="Type">{clusterTypeLabel(cluster.type)} {cluster.version}</Fact>
              <Fact label="Publisher">{cluster.publisherUrl ?? '—'}</Fact>
              <Fact label="Credentials">{cluster.hasAdminPassword && cluster.hasPlatformPassword ? `${cluster.adminUsername} / ${cluster.platformUsername} (stored)` : 'Missing: an assignment fails its Verification step'}</Fact>
            </SimpleGrid>
            {lastCheck?.checkedAt && (
              <Text size="sm" mt="sm">
                Last connection check <Time value={lastCheck.checkedAt} />: {lastCheck.ok ? `version ${lastCheck.version}, license mode ${lastCheck.licenseMode}, registration ${lastCheck.licensing?.registration || 'unknown'}` : 'the publisher did not answer everything'}.
              </Text>
            )}
            {lastCheck?.checkedAt && <TimeZoneNote />}
          </Paper>
          <PublisherCertificate cluster={cluster} manage={mayManage} />
          <Paper component="section" aria-labelledby="cluster-jobs">
            <Title order={2} fz="lg" id="cluster-jobs" mb="sm">Jobs of this cluster</Title>
            <JobTable caption={`Jobs of ${cluster.name}`} query={{ clusterId: cluster.id }} empty={{ title: 'No job yet', description: 'Assigning the cluster to a virtual account starts a job; its steps show here.' }} />
          </Paper>
        </>
      )}
    </>
  );
}

/** L4 trust on first use: how the publisher's certificate is trusted, and a changed one to accept. */
function PublisherCertificate({ cluster, manage }: { cluster: Cluster; manage: boolean }) {
  const refresh = useRefreshLicensing();
  const accept = useMutation({
    mutationFn: async () => {
      const presented = cluster.presentedCertificate!;
      const ok = await confirmCertificate(presented, `Accept the new certificate of ${cluster.name}?`, `The publisher now presents another certificate than the one accepted (SHA-256 ${cluster.certificateFingerprint ?? 'none'}). Accept it only if the publisher's certificate was renewed.`, 'Accept certificate', publisherCertificateHint);
      if (!ok) return null;
      return request<Cluster>(`${base}/clusters/${cluster.id}/certificate/accept`, { method: 'POST', body: { fingerprint: presented.fingerprint } });
    },
    onSuccess: (accepted) => {
      if (!accepted) return;
      notifySuccess(`${cluster.name}'s new certificate is pinned. Restart a job that failed on it.`, 'Certificate accepted');
      void refresh();
    },
  });
  const https = /^https:/i.test(cluster.publisherUrl ?? '');
  const trust = !https ? 'Plain HTTP: no certificate' : cluster.certificateTrust === 'ca' ? 'Trusted by a CA' : cluster.certificateTrust === 'pinned' ? 'Pinned (trusted on first use)' : 'Pinned on first contact';
  return (
    <Paper component="section" aria-labelledby="cluster-certificate" mb="md">
      <Title order={2} fz="lg" id="cluster-certificate" mb="sm">Publisher certificate</Title>
      <Stack gap={4}>
        <Text size="sm">{trust}</Text>
        {cluster.certificateFingerprint && <Code title="SHA-256" data-testid="cluster-certificate-fingerprint" style={{ wordBreak: 'break-all' }}>{cluster.certificateFingerprint}</Code>}
        {cluster.certificate && <Text size="xs" c="dimmed">{cluster.certificate.subject}, issued by {cluster.certificate.issuer}, valid <Time value={cluster.certificate.validFrom} /> to <Time value={cluster.certificate.validTo} /></Text>}
        {cluster.presentedCertificate && (
          <Alert color="red" variant="light" title="The publisher presents another certificate" mt="xs">
            <Stack gap={4}>
              <Text size="sm">Every request to the publisher is refused until the new certificate is accepted (jobs fail with SBCERT1001 or SBCERT1002). It now presents:</Text>
              <Code data-testid="cluster-presented-fingerprint" style={{ wordBreak: 'break-all' }}>{cluster.presentedCertificate.fingerprint}</Code>
              <Text size="xs">{cluster.presentedCertificate.subject}, issued by {cluster.presentedCertificate.issuer}</Text>
              {manage && <Button size="xs" color="red" variant="light" w="fit-content" loading={accept.isPending} onClick={() => accept.mutate()}>Accept new certificate</Button>}
            </Stack>
          </Alert>
        )}
        <ErrorNotice error={accept.error} title="Could not accept the certificate" />
      </Stack>
    </Paper>
  );
}
