import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Badge, Button, Checkbox, Code, Group, NativeSelect, NumberInput, Paper, SimpleGrid, Switch, Text, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { EmptyState } from '../../platform/console/src/components/EmptyState.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { settle, useFollowServer } from './follow-server.ts';
import { axlSchemaVersions, describeCssmFault, describeUcFault, labApi, satelliteMarkerStyles, type Cssm, type CssmBehaviour, type CssmFault, type UcBehaviour, type UcCluster, type UcFault } from './lab-api.ts';

// S3/S4/S5: the simulated CSSM and CUCM / Unity Connection publishers the Licensing area registered
// in the Lab — what they hold, how they fail and how they differ from our reading of the real ones.

const inRange = (what: string, min: number, max: number) => (value: number | string) => {
  const n = Number(value);
  return value !== '' && Number.isInteger(n) && n >= min && n <= max ? null : `Enter ${what}: a whole number from ${min} to ${max}.`;
};

const notRunning = (what: string) => (
  <EmptyState title={`No ${what} simulator on this server`}>
    It starts with the Licensing area when the Lab is on: start Switchboard with the Licensing area and <code>SWITCHBOARD_LAB=true</code>.
  </EmptyState>
);

// ── S3: CSSM ──

const cssmFaultKinds = [
  { value: 'none', label: 'No fault' },
  { value: 'unauthorized', label: '401 unauthorized' },
  { value: 'forbidden', label: '403 forbidden' },
  { value: 'rate-limited', label: '429 rate limited' },
  { value: 'server-error', label: 'Server error (5xx)' },
  { value: 'slow', label: 'Slow answers' },
  { value: 'down', label: 'Down (connections refused)' },
];

function CssmFaultForm({ cssm }: { cssm: Cssm }) {
  const queryClient = useQueryClient();
  const current = cssm.fault?.fault ?? { kind: 'none' };
  const form = useForm({
    mode: 'controlled',
    initialValues: { kind: current.kind as string, retryAfterSeconds: 30 as number | string, status: '503', delayMs: 5000 as number | string, afterCalls: 0 as number | string, includeTokenEndpoint: true },
    validate: {
      retryAfterSeconds: (value, values) => (values.kind === 'rate-limited' ? inRange('the seconds Retry-After says', 0, 86_400)(value) : null),
      delayMs: (value, values) => (values.kind === 'slow' ? inRange('the delay in milliseconds', 1, 600_000)(value) : null),
      afterCalls: inRange('how many calls succeed first', 0, 1_000_000),
    },
  });
  const done = () => void queryClient.invalidateQueries({ queryKey: ['lab'] });
  const apply = useMutation({
    mutationFn: labApi.setCssmFault,
    onSuccess: (after) => notifySuccess(`CSSM: ${describeCssmFault(after.fault)}.`, 'Fault applied'),
    onError: (error) => {
      form.setErrors(fieldErrors(error, { 'fault.retryAfterSeconds': 'retryAfterSeconds', 'fault.delayMs': 'delayMs', 'fault.status': 'status' }));
      notifyError(error, 'The fault could not be applied');
    },
    onSettled: done,
  });
  const clear = useMutation({
    mutationFn: labApi.clearCssmFault,
    onSuccess: () => notifySuccess('The CSSM answers normally again.', 'Fault cleared'),
    onError: (error) => notifyError(error, 'The fault could not be cleared'),
    onSettled: done,
  });
  const submit = async (values: typeof form.values) => {
    const kind = values.kind as CssmFault['kind'];
    const fault: CssmFault =
      kind === 'rate-limited' ? { kind, retryAfterSeconds: Number(values.retryAfterSeconds) }
      : kind === 'server-error' ? { kind, status: Number(values.status) as 500 | 502 | 503 | 504 }
      : kind === 'slow' ? { kind, delayMs: Number(values.delayMs) }
      : { kind };
    const after = Number(values.afterCalls) > 0 ? ` after ${values.afterCalls} more successful call(s)` : '';
    const ok = await confirmAction({
      title: 'Make the CSSM fail?',
      message: kind === 'none' ? 'The CSSM will answer normally.' : `Every CSSM API call${values.includeTokenEndpoint ? ', the token endpoint included,' : ''} gets ${describeCssmFault(fault)}${after}, until you clear it: Licensing's syncs and registrations fail meanwhile.`,
      confirmLabel: 'Apply fault',
      danger: kind !== 'none',
    });
    if (ok) apply.mutate({ fault, afterCalls: Number(values.afterCalls), includeTokenEndpoint: values.includeTokenEndpoint });
  };
  const kind = form.values.kind;
  return (
    <Paper component="form" withBorder p="md" mb="md" onSubmit={form.onSubmit(submit)} aria-label="CSSM fault" noValidate>
      <Group justify="space-between" mb="xs">
        <Title order={3} fz="md">Fault</Title>
        <Text size="sm">
          In force: <strong data-testid="cssm-fault">{cssm.fault ? describeCssmFault(cssm.fault.fault) : 'none'}</strong>
        </Text>
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
        <NativeSelect id="cssm-fault-kind" label="Fault" data={cssmFaultKinds} {...form.getInputProps('kind')} />
        {kind === 'rate-limited' && <NumberInput id="cssm-fault-retry" label="Retry-After (s)" min={0} max={86_400} allowDecimal={false} clampBehavior="none" {...form.getInputProps('retryAfterSeconds')} />}
        {kind === 'server-error' && <NativeSelect id="cssm-fault-status" label="Status" data={['500', '502', '503', '504']} {...form.getInputProps('status')} />}
        {kind === 'slow' && <NumberInput id="cssm-fault-delay" label="Delay (ms)" min={1} max={600_000} allowDecimal={false} clampBehavior="none" {...form.getInputProps('delayMs')} />}
        <NumberInput id="cssm-fault-after" label="Calls that succeed first" description="0: the next call fails" min={0} allowDecimal={false} clampBehavior="none" {...form.getInputProps('afterCalls')} />
        <Switch id="cssm-fault-token" mt="lg" label="The token endpoint fails too" {...form.getInputProps('includeTokenEndpoint', { type: 'checkbox' })} />
      </SimpleGrid>
      <Group mt="sm" justify="flex-end">
        <Button variant="default" disabled={!cssm.fault || cssm.fault.fault.kind === 'none'} loading={clear.isPending} onClick={() => clear.mutate()}>Clear CSSM fault</Button>
        <Button type="submit" color="red" loading={apply.isPending}>Apply fault</Button>
      </Group>
    </Paper>
  );
}

const cssmBehaviourValues = (b: CssmBehaviour) => ({ ...b, maxPageSize: b.maxPageSize as number | string });

function CssmBehaviourForm({ behaviour }: { behaviour: CssmBehaviour }) {
  const queryClient = useQueryClient();
  const form = useForm({ mode: 'controlled', initialValues: cssmBehaviourValues(behaviour), validate: { maxPageSize: inRange('the largest page', 1, 10_000) } });
  useFollowServer(form, cssmBehaviourValues(behaviour));
  const save = useMutation({
    mutationFn: (values: typeof form.values) => labApi.setCssmBehaviour({ ...values, maxPageSize: Number(values.maxPageSize) }),
    onSuccess: (after) => {
      settle(form, cssmBehaviourValues(after));
      notifySuccess(`Pages of at most ${after.maxPageSize} virtual accounts${after.totalRecords ? '' : ', no totalRecords'}${after.ignoreOffset ? ', offset ignored' : ''}; satellite marker ${after.satelliteMarker}.`, 'CSSM behaviour saved');
      void queryClient.invalidateQueries({ queryKey: ['lab', 'cssm'] });
    },
    onError: (error) => {
      form.setErrors(fieldErrors(error));
      notifyError(error, 'The behaviour could not be saved');
    },
  });
  return (
    <Paper component="form" withBorder p="md" mb="md" onSubmit={form.onSubmit((values) => save.mutate(values))} aria-label="CSSM behaviour" noValidate>
      <Title order={3} fz="md" mb="xs">Behaviour of the virtual account listing</Title>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
        <NumberInput id="cssm-page-size" label="Page size cap" description="Largest page, whatever limit asks" min={1} max={10_000} allowDecimal={false} clampBehavior="none" {...form.getInputProps('maxPageSize')} />
        <NativeSelect id="cssm-satellite-marker" label="Satellite marker" description="How a satellite-synced VA is marked" data={[...satelliteMarkerStyles]} {...form.getInputProps('satelliteMarker')} />
        <Switch id="cssm-total-records" mt="lg" label="Says totalRecords" description="Off: the listing gives no total" {...form.getInputProps('totalRecords', { type: 'checkbox' })} />
        <Switch id="cssm-ignore-offset" mt="lg" label="Ignores offset" description="Always the first page: a listing that stops short" {...form.getInputProps('ignoreOffset', { type: 'checkbox' })} />
      </SimpleGrid>
      <Group mt="sm" justify="flex-end">
        <Button type="submit" loading={save.isPending} disabled={!form.isDirty()}>Save CSSM behaviour</Button>
      </Group>
    </Paper>
  );
}

type SmartAccount = Cssm['smartAccounts'][number];

export function CssmTab() {
  const can = useCan();
  const cssm = useQuery({ queryKey: ['lab', 'cssm'], queryFn: labApi.cssm, refetchInterval: 3000 });
  if (cssm.error) return <ErrorNotice error={cssm.error} title="The CSSM simulator could not be read" />;
  if (!cssm.data) return <Text c="dimmed">Loading…</Text>;
  if (!cssm.data.running) return notRunning('CSSM');
  const saColumns: Column<SmartAccount>[] = [
    { key: 'domain', header: 'Domain', render: (sa) => <Text ff="monospace" size="sm">{sa.domain}</Text> },
    { key: 'id', header: 'Account ID', render: (sa) => sa.id },
    { key: 'type', header: 'Type', render: (sa) => sa.accountType },
    { key: 'vas', header: 'Virtual accounts', numeric: true, render: (sa) => sa.virtualAccounts },
    { key: 'satellite', header: 'Satellite-synced', numeric: true, render: (sa) => <span title={`On ${sa.satellites.join(', ')}: ignored by the sync (L2)`}>{sa.satelliteSynced}</span> },
    { key: 'private', header: 'Private', numeric: true, render: (sa) => sa.privateAccounts },
    { key: 'tokens', header: 'Registration tokens', numeric: true, render: (sa) => sa.registrationTokens },
  ];
  type Device = SmartAccount['devices'][number];
  const deviceColumns: Column<Device>[] = [
    { key: 'host', header: 'Host', sortValue: (d) => d.hostname, searchValue: (d) => d.hostname, render: (d) => d.hostname },
    { key: 'product', header: 'Product', sortValue: (d) => d.productDescription, render: (d) => d.productDescription },
    { key: 'serial', header: 'Serial number', searchValue: (d) => d.serialNumber, render: (d) => <Text ff="monospace" size="sm">{d.serialNumber}</Text> },
    { key: 'va', header: 'Virtual account', sortValue: (d) => d.virtualAccount, searchValue: (d) => d.virtualAccount, render: (d) => d.virtualAccount },
    { key: 'registered', header: 'Registered', sortValue: (d) => d.registeredAt, render: (d) => <Time value={d.registeredAt} /> },
    { key: 'usage', header: 'Licences requested', render: (d) => Object.entries(d.usage).map(([k, v]) => `${k} ${v}`).join(', ') },
  ];
  type Licence = SmartAccount['licenses'][number];
  const licenceColumns: Column<Licence>[] = [
    { key: 'va', header: 'Virtual account', sortValue: (l) => l.virtualAccount, searchValue: (l) => l.virtualAccount, render: (l) => l.virtualAccount },
    { key: 'licence', header: 'Licence', sortValue: (l) => l.license, searchValue: (l) => l.license, render: (l) => <Text ff="monospace" size="sm">{l.license}</Text> },
    { key: 'owned', header: 'Owned', numeric: true, sortValue: (l) => l.quantity, render: (l) => l.quantity },
    { key: 'used', header: 'In use', numeric: true, sortValue: (l) => l.inUse, render: (l) => l.inUse },
    { key: 'balance', header: 'Balance', numeric: true, sortValue: (l) => l.quantity - l.inUse, render: (l) => l.quantity - l.inUse },
  ];
  return (
    <>
      <Text size="sm" c="dimmed" mb="md">
        OAuth2 token endpoint <Code>{cssm.data.tokenUrl}</Code>; API at <Code>{cssm.data.url}</Code>; {cssm.data.apiCalls} API calls so far.
      </Text>
      {can('lab.manage') && <CssmFaultForm cssm={cssm.data} />}
      {can('lab.manage') && cssm.data.behaviour && <CssmBehaviourForm behaviour={cssm.data.behaviour} />}
      {cssm.data.smartAccounts.map((sa) => (
        <Paper component="section" key={sa.domain} aria-labelledby={`sa-${sa.domain}`} mb="lg">
          <Title order={3} fz="lg" id={`sa-${sa.domain}`} mb="xs">Smart account {sa.name}</Title>
          <DataTable caption={`Smart account ${sa.name}`} columns={saColumns} rows={[sa]} rowKey={(a) => a.domain} />
          <Title order={4} fz="md" mt="md" mb="xs">Registered product instances</Title>
          <DataTable caption={`Registered devices of ${sa.name}`} columns={deviceColumns} rows={sa.devices} rowKey={(d) => d.serialNumber} searchable={sa.devices.length > 10} pageSize={25} footer={<TimeZoneNote />} empty={{ title: 'No product instance registered yet', description: 'Assign a cluster to a virtual account in Licensing: its registration shows here.' }} />
          <Title order={4} fz="md" mt="md" mb="xs">Licence usage</Title>
          <DataTable caption={`Licence usage of ${sa.name}`} columns={licenceColumns} rows={sa.licenses} rowKey={(l) => `${l.virtualAccount}/${l.license}`} searchable searchLabel="Search licences" pageSize={25} empty={{ title: 'No licences', description: 'This smart account owns no licence pool.' }} />
        </Paper>
      ))}
    </>
  );
}

// ── S4: CUCM / Unity Connection ──

const ucFaultKinds = [
  { value: 'none', label: 'No fault' },
  { value: 'down', label: 'Down (connections refused)' },
  { value: 'server-error', label: '500 on every request' },
  { value: 'slow', label: 'Slow answers' },
];

const ucFaultValues = (f: UcFault) => ({ kind: f.kind as string, delayMs: (f.kind === 'slow' ? f.delayMs : 5000) as number | string });

function UcFaultForm({ cluster }: { cluster: UcCluster }) {
  const queryClient = useQueryClient();
  const form = useForm({
    mode: 'controlled',
    initialValues: ucFaultValues(cluster.fault),
    validate: { delayMs: (value, values) => (values.kind === 'slow' ? inRange('the delay in milliseconds', 1, 600_000)(value) : null) },
  });
  useFollowServer(form, ucFaultValues(cluster.fault));
  const done = () => void queryClient.invalidateQueries({ queryKey: ['lab'] });
  const apply = useMutation({
    mutationFn: (fault: UcFault) => labApi.setUcFault(cluster.name, fault),
    onSuccess: (after) => {
      settle(form, ucFaultValues(after));
      notifySuccess(`${cluster.name}: ${describeUcFault(after)}.`, 'Fault applied');
    },
    onError: (error) => {
      form.setErrors(fieldErrors(error));
      notifyError(error, 'The fault could not be applied');
    },
    onSettled: done,
  });
  const clear = useMutation({
    mutationFn: () => labApi.clearUcFault(cluster.name),
    onSuccess: (after) => {
      settle(form, ucFaultValues(after));
      notifySuccess(`${cluster.name} answers normally again.`, 'Fault cleared');
    },
    onError: (error) => notifyError(error, 'The fault could not be cleared'),
    onSettled: done,
  });
  const submit = async (values: typeof form.values) => {
    const kind = values.kind as UcFault['kind'];
    const fault: UcFault = kind === 'slow' ? { kind, delayMs: Number(values.delayMs) } : { kind };
    const ok = await confirmAction({
      title: `Make ${cluster.name} fail?`,
      message: kind === 'none' ? `${cluster.name} will answer normally.` : `Every request to ${cluster.name} (AXL, licensing) is ${describeUcFault(fault)} until you clear it: Licensing's calls to it fail meanwhile.`,
      confirmLabel: 'Apply fault',
      danger: kind !== 'none',
    });
    if (ok) apply.mutate(fault);
  };
  return (
    <Paper component="form" withBorder p="md" onSubmit={form.onSubmit(submit)} aria-label={`Fault of ${cluster.name}`} noValidate>
      <Title order={4} fz="md" mb="xs">Fault</Title>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
        <NativeSelect id={`uc-${cluster.name}-fault`} label="Fault" data={ucFaultKinds} {...form.getInputProps('kind')} />
        {form.values.kind === 'slow' && <NumberInput id={`uc-${cluster.name}-delay`} label="Delay (ms)" min={1} max={600_000} allowDecimal={false} clampBehavior="none" {...form.getInputProps('delayMs')} />}
      </SimpleGrid>
      <Group mt="sm" justify="flex-end">
        <Button variant="default" disabled={cluster.fault.kind === 'none'} loading={clear.isPending} onClick={() => clear.mutate()}>Clear fault</Button>
        <Button type="submit" color="red" loading={apply.isPending}>Apply fault</Button>
      </Group>
    </Paper>
  );
}

const ucBehaviourValues = (b: UcBehaviour) => ({ modeChangeMs: b.modeChangeMs as number | string, revertModeChanges: b.revertModeChanges as number | string, registrationMs: b.registrationMs as number | string, restartUnavailable: b.restartUnavailable, axlVersions: b.axlVersions });

function UcBehaviourForm({ cluster }: { cluster: UcCluster }) {
  const queryClient = useQueryClient();
  const form = useForm({
    mode: 'controlled',
    initialValues: ucBehaviourValues(cluster.behaviour),
    validate: {
      modeChangeMs: inRange('the delay in milliseconds', 0, 3_600_000),
      revertModeChanges: inRange('how many mode changes are lost', 0, 10),
      registrationMs: inRange('the time in milliseconds', 0, 3_600_000),
      axlVersions: (value) => (value.length ? null : 'Tick at least one AXL version: a publisher answers some.'),
    },
  });
  useFollowServer(form, ucBehaviourValues(cluster.behaviour));
  const save = useMutation({
    mutationFn: (values: typeof form.values) =>
      labApi.setUcBehaviour(cluster.name, { modeChangeMs: Number(values.modeChangeMs), revertModeChanges: Number(values.revertModeChanges), registrationMs: Number(values.registrationMs), restartUnavailable: values.restartUnavailable, axlVersions: values.axlVersions }),
    onSuccess: (after) => {
      settle(form, ucBehaviourValues(after));
      notifySuccess(`${cluster.name}'s publisher behaves as set.`, 'Behaviour saved');
      void queryClient.invalidateQueries({ queryKey: ['lab', 'uc'] });
    },
    onError: (error) => {
      form.setErrors(fieldErrors(error));
      notifyError(error, 'The behaviour could not be saved');
    },
  });
  const id = `uc-${cluster.name}`;
  return (
    <Paper component="form" withBorder p="md" onSubmit={form.onSubmit((values) => save.mutate(values))} aria-label={`Behaviour of ${cluster.name}`} noValidate>
      <Title order={4} fz="md" mb="xs">Publisher behaviour</Title>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
        <NumberInput id={`${id}-mode-change`} label="Mode change delay (ms)" description="setDeploymentMode answers after this long; the old mode shows meanwhile" min={0} max={3_600_000} allowDecimal={false} clampBehavior="none" {...form.getInputProps('modeChangeMs')} />
        <NumberInput id={`${id}-revert`} label="Mode changes reverted by the restart" description="This many changes come back in the old mode" min={0} max={10} allowDecimal={false} clampBehavior="none" {...form.getInputProps('revertModeChanges')} />
        <NumberInput id={`${id}-registration`} label="Registration in progress (ms)" description="How long a registration shows “Registration In Progress”" min={0} max={3_600_000} allowDecimal={false} clampBehavior="none" {...form.getInputProps('registrationMs')} />
        <Switch id={`${id}-restart-503`} mt="lg" label="503 while restarting" description="Off: connections refused while the publisher restarts" {...form.getInputProps('restartUnavailable', { type: 'checkbox' })} />
      </SimpleGrid>
      <Checkbox.Group id={`${id}-axl`} mt="sm" label="AXL schema versions answered" description="Others get HTTP 599 “Unsupported AXL version”" {...form.getInputProps('axlVersions')}>
        <Group gap="sm" mt={4}>
          {axlSchemaVersions.map((v) => (
            <Checkbox key={v} value={v} label={v} />
          ))}
        </Group>
      </Checkbox.Group>
      <Group mt="sm" justify="flex-end">
        <Button type="submit" loading={save.isPending} disabled={!form.isDirty()}>Save behaviour</Button>
      </Group>
    </Paper>
  );
}

/** Issue #14: a renewed publisher certificate, for Licensing to refuse the publisher until it is accepted. */
function UcCertificateRotate({ cluster }: { cluster: UcCluster }) {
  const queryClient = useQueryClient();
  const https = cluster.publisherUrl.startsWith('https:');
  const rotate = useMutation({
    mutationFn: () => labApi.rotateUcCertificate(cluster.name),
    onSuccess: (r) => notifySuccess(`The publisher of ${cluster.name} now presents SHA-256 ${r.fingerprint}.`, 'Certificate renewed'),
    onError: (error) => notifyError(error, 'The certificate could not be renewed'),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['lab', 'uc'] }),
  });
  const ask = async () => {
    if (await confirmAction({ title: `Renew the publisher certificate of ${cluster.name}?`, message: `The publisher gets a new self-signed certificate. Licensing refuses to talk to it (jobs fail with SBCERT1001) until the new certificate is accepted on the cluster's page.`, confirmLabel: 'Renew certificate', danger: true })) rotate.mutate();
  };
  return (
    <Group gap="sm" mt="sm">
      <Button size="xs" variant="default" color="red" disabled={!https} loading={rotate.isPending} onClick={() => void ask()}>Renew publisher certificate</Button>
      {!https && <Text size="xs" c="dimmed">The publisher serves plain HTTP: it has no certificate to renew.</Text>}
    </Group>
  );
}

type UcNodeRow = UcCluster['nodes'][number] & { cluster: UcCluster };

function UcClusterSection({ cluster: c }: { cluster: UcCluster }) {
  const can = useCan();
  const columns: Column<UcNodeRow>[] = [
    { key: 'name', header: 'Node', sortValue: (n) => n.name, render: (n) => n.name },
    { key: 'role', header: 'Role', sortValue: (n) => n.role, render: (n) => n.role },
    { key: 'url', header: 'URL', render: (n) => <Text ff="monospace" size="sm">{n.url}</Text> },
    { key: 'mode', header: 'Licensing mode', render: () => c.deploymentMode },
    { key: 'registration', header: 'Registration', render: () => `${c.registration.status}${c.registration.failedReason ? ` (${c.registration.failedReason})` : ''}` },
    { key: 'account', header: 'Smart account / virtual account', render: () => (c.registration.smartAccount ? `${c.registration.smartAccount} / ${c.registration.virtualAccount}` : '—') },
    { key: 'authorization', header: 'Authorization', render: () => `${c.authorization}${c.authorization === 'Evaluation Mode' ? ` (${c.evaluationRemaining} left)` : ''}` },
    { key: 'fault', header: 'Fault', render: () => (c.fault.kind === 'none' ? 'none' : <Badge color="red" variant="light" tt="none">{describeUcFault(c.fault)}</Badge>) },
  ];
  return (
    <Paper component="section" aria-labelledby={`uc-${c.name}`} mb="xl">
      <Title order={3} fz="lg" id={`uc-${c.name}`}>{c.type === 'CUCM' ? 'Unified CM' : 'Unity Connection'} — {c.name}</Title>
      <Text size="sm" c="dimmed" mb="sm">
        Version {c.version}; {c.users} users; transport {c.transportMode} ({c.transportUrl}){c.rebooting ? '; the publisher is restarting after a licensing mode change' : ''}.
      </Text>
      <DataTable caption={`Nodes of ${c.name}`} columns={columns} rows={c.nodes.map((n) => ({ ...n, cluster: c }))} rowKey={(n) => n.name} />
      {can('lab.manage') && <UcCertificateRotate cluster={c} />}
      {can('lab.manage') && (
        <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md" mt="md">
          <UcFaultForm cluster={c} />
          <UcBehaviourForm cluster={c} />
        </SimpleGrid>
      )}
    </Paper>
  );
}

export function UcTab() {
  const uc = useQuery({ queryKey: ['lab', 'uc'], queryFn: labApi.uc, refetchInterval: 3000 });
  if (uc.error) return <ErrorNotice error={uc.error} title="The UC simulators could not be read" />;
  if (!uc.data) return <Text c="dimmed">Loading…</Text>;
  if (!uc.data.running) return notRunning('CUCM or Unity Connection');
  return (
    <>
      {uc.data.clusters.map((c) => (
        <UcClusterSection key={c.name} cluster={c} />
      ))}
    </>
  );
}
