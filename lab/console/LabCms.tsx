import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Badge, Button, Code, Group, NativeSelect, NumberInput, Paper, SimpleGrid, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { EmptyState } from '../../platform/console/src/components/EmptyState.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { settle, useFollowServer } from './follow-server.ts';
import { describeCmsFaults, labApi, type CmsCall, type CmsCluster, type CmsFaultsPatch, type CmsLeg, type CmsNode, type CmsVariance, type TraceEntry } from './lab-api.ts';

// S1/S5: the simulated Cisco Meeting Server clusters — their behaviour, nodes, faults, API trace
// and the calls running on them right now.

/** Empty or a whole number within bounds; the message says what to type. */
const wholeNumber = (label: string, min: number, max: number, optional = true) => (value: number | string) => {
  if (value === '' || value === undefined) return optional ? null : `Enter ${label}.`;
  const n = Number(value);
  return Number.isInteger(n) && n >= min && n <= max ? null : `Enter a whole number from ${min} to ${max}${optional ? ', or leave it empty' : ''}.`;
};
const numberOrNull = (value: number | string) => (value === '' || value === undefined ? null : Number(value));

function describeVariance(v: CmsVariance): string {
  return [
    v.advertiseScheme ? `node addresses advertised as ${v.advertiseScheme}` : 'node addresses advertised as reached',
    v.cdrs === false ? 'no CDRs sent' : 'CDRs sent',
    `page cap ${v.pageCap ?? 10}`,
    v.forgetBulkSyncsOnRestart ? 'bulk syncs forgotten on restart' : 'bulk syncs kept on restart',
    v.maxConcurrentRequests ? `${v.maxConcurrentRequests} requests at once per node, more answered ${v.throttleStatus ?? 503}` : 'no limit on requests at once',
  ].join('; ');
}

const varianceValues = (v: CmsVariance) => ({ advertiseScheme: v.advertiseScheme ?? '', cdrs: v.cdrs !== false, pageCap: (v.pageCap ?? '') as number | string, forgetBulkSyncsOnRestart: !!v.forgetBulkSyncsOnRestart, maxConcurrentRequests: (v.maxConcurrentRequests ?? '') as number | string, throttleStatus: String(v.throttleStatus ?? 503) });

/** How this cluster differs from the default one (cms/README.md §Variance). */
function BehaviourForm({ cluster }: { cluster: CmsCluster }) {
  const queryClient = useQueryClient();
  const v = cluster.settings;
  const form = useForm({ mode: 'controlled', initialValues: varianceValues(v), validate: { pageCap: wholeNumber('a page cap', 1, 1000), maxConcurrentRequests: wholeNumber('a number of requests', 1, 10000) } });
  useFollowServer(form, varianceValues(v));
  const save = useMutation({
    mutationFn: (values: typeof form.values) =>
      labApi.setCmsSettings(cluster.name, {
        advertiseScheme: values.advertiseScheme === '' ? null : (values.advertiseScheme as 'http' | 'https'),
        cdrs: values.cdrs,
        pageCap: numberOrNull(values.pageCap),
        forgetBulkSyncsOnRestart: values.forgetBulkSyncsOnRestart,
        maxConcurrentRequests: numberOrNull(values.maxConcurrentRequests),
        throttleStatus: Number(values.throttleStatus) as 503 | 429,
      }),
    onSuccess: (after) => {
      settle(form, varianceValues(after));
      notifySuccess(`${cluster.name}: ${describeVariance(after)}.`, 'Behaviour saved');
      void queryClient.invalidateQueries({ queryKey: ['lab'] });
    },
    onError: (error) => {
      form.setErrors(fieldErrors(error));
      notifyError(error, 'The behaviour could not be saved');
    },
  });
  const id = `cms-${cluster.name}`;
  return (
    <Paper component="form" withBorder p="md" mb="md" onSubmit={form.onSubmit((values) => save.mutate(values))} aria-label={`Behaviour of ${cluster.name}`} noValidate>
      <Title order={4} fz="md" mb="xs">Behaviour</Title>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm" verticalSpacing="sm">
        <NativeSelect
          id={`${id}-scheme`}
          label="Node addresses in /callBridges"
          description="The scheme the Call Bridge table advertises"
          data={[{ value: '', label: 'As each node is reached' }, { value: 'https', label: 'https://, whatever the node listens with' }, { value: 'http', label: 'http://, whatever the node listens with' }]}
          {...form.getInputProps('advertiseScheme')}
        />
        <NumberInput id={`${id}-page-cap`} label="Page cap" description="Most objects per page, whatever limit asks (empty: 10)" placeholder="10" min={1} max={1000} allowDecimal={false} clampBehavior="none" {...form.getInputProps('pageCap')} />
        <Switch id={`${id}-cdrs`} mt="lg" label="Send CDRs" description="Off: the bridges send no CDR to any receiver" {...form.getInputProps('cdrs', { type: 'checkbox' })} />
        <Switch id={`${id}-forget`} mt="lg" label="Forget bulk syncs on restart" description="A restarted node answers 404 for every coSpace bulk sync" {...form.getInputProps('forgetBulkSyncsOnRestart', { type: 'checkbox' })} />
        <NumberInput id={`${id}-max-concurrent`} label="Requests at once per node" description="A node serves this many API requests at once and refuses the next, as a busy CMS does (empty: no limit)" placeholder="no limit" min={1} max={10000} allowDecimal={false} clampBehavior="none" {...form.getInputProps('maxConcurrentRequests')} />
        <NativeSelect
          id={`${id}-throttle-status`}
          label="Answer when busy"
          description="What a request beyond the limit gets"
          data={[{ value: '503', label: '503 Service Unavailable (as a CMS answers)' }, { value: '429', label: '429 Too Many Requests, Retry-After: 1' }]}
          {...form.getInputProps('throttleStatus')}
        />
      </SimpleGrid>
      <Group mt="sm" justify="space-between">
        <Text size="sm" aria-label={`Settings of ${cluster.name}`}>Now: {describeVariance(v)}.</Text>
        <Button type="submit" loading={save.isPending} disabled={!form.isDirty()}>Save behaviour</Button>
      </Group>
    </Paper>
  );
}

const failFieldNames = { 'failNext.0.path': 'failPath', 'failNext.0.method': 'failMethod', 'failNext.0.count': 'failCount', 'failNext.0.status': 'failStatus' };

/** Every fault of one node at once, with any values (S5); applying asks first. */
function FaultEditor({ cluster, node, onClose }: { cluster: string; node: CmsNode; onClose: () => void }) {
  const queryClient = useQueryClient();
  const f = node.faults;
  const fail = f.failNext?.[0];
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      down: !!f.down, hang: !!f.hang, busy: !!f.busy, unauthorized: !!f.unauthorized, malformedXml: !!f.malformedXml,
      slowMs: (f.slowMs || '') as number | string, pageCap: (f.pageCap ?? '') as number | string,
      failPath: fail?.path ?? '', failMethod: fail?.method ?? '', failCount: (fail?.count ?? 1) as number | string, failStatus: (fail?.status ?? 500) as number | string,
    },
    validate: {
      slowMs: wholeNumber('a delay', 1, 600_000),
      pageCap: wholeNumber('a page cap', 1, 1000),
      failPath: (value) => (value && !value.startsWith('/') ? 'Start the path with /, such as /api/v1/coSpaces.' : null),
      failCount: (value, values) => (values.failPath ? wholeNumber('how many requests fail', 1, 10_000, false)(value) : null),
      failStatus: (value, values) => (values.failPath ? wholeNumber('an HTTP status', 400, 599, false)(value) : null),
    },
  });
  const apply = useMutation({
    mutationFn: (patch: CmsFaultsPatch) => labApi.setCmsFaults(cluster, node.name, patch),
    onSuccess: (after) => {
      const words = describeCmsFaults(after);
      notifySuccess(words.length ? `${node.name}: ${words.join(', ')}.` : `${node.name} answers normally.`, 'Faults applied');
      void queryClient.invalidateQueries({ queryKey: ['lab'] });
      onClose();
    },
    onError: (error) => {
      form.setErrors(fieldErrors(error, failFieldNames));
      notifyError(error, 'The faults could not be applied');
    },
  });
  const submit = async (values: typeof form.values) => {
    const slowMs = numberOrNull(values.slowMs);
    const pageCap = numberOrNull(values.pageCap);
    const failNext = values.failPath ? [{ path: values.failPath, ...(values.failMethod ? { method: values.failMethod } : {}), count: Number(values.failCount), status: Number(values.failStatus) }] : null;
    const switches = { down: values.down, hang: values.hang, busy: values.busy, unauthorized: values.unauthorized, malformedXml: values.malformedXml };
    // The whole set, so a fault switched off here is cleared (null/false clear).
    const patch: CmsFaultsPatch = { ...switches, slowMs, pageCap, failNext };
    const words = describeCmsFaults({ ...switches, slowMs: slowMs ?? undefined, pageCap: pageCap ?? undefined, failNext: failNext ?? undefined });
    const ok = await confirmAction({
      title: `Apply these faults to ${node.name}?`,
      message: words.length ? `${node.name} will be ${words.join(', ')} until you clear it; Switchboard's calls to it fail or slow down meanwhile.` : `${node.name} will answer normally.`,
      confirmLabel: 'Apply faults',
      danger: words.length > 0,
    });
    if (ok) apply.mutate(patch);
  };
  const id = `fault-${cluster}-${node.name}`;
  return (
    <Paper component="form" withBorder p="md" mb="md" onSubmit={form.onSubmit(submit)} aria-label={`Faults of ${node.name}`} noValidate>
      <Title order={4} fz="md" mb="xs">Faults of {node.name}</Title>
      <SimpleGrid cols={{ base: 1, sm: 3, lg: 5 }} spacing="sm">
        <Switch id={`${id}-down`} label="Down" description="Connections refused" {...form.getInputProps('down', { type: 'checkbox' })} />
        <Switch id={`${id}-hang`} label="Hang" description="Requests never answered" {...form.getInputProps('hang', { type: 'checkbox' })} />
        <Switch id={`${id}-busy`} label="503 busy" description="Every request answers 503" {...form.getInputProps('busy', { type: 'checkbox' })} />
        <Switch id={`${id}-401`} label="401 always" description="Credentials refused" {...form.getInputProps('unauthorized', { type: 'checkbox' })} />
        <Switch id={`${id}-xml`} label="Malformed XML" description="Answers cut short" {...form.getInputProps('malformedXml', { type: 'checkbox' })} />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 6 }} spacing="sm" mt="sm">
        <NumberInput id={`${id}-slow`} label="Slow (ms)" description="Delay before every answer" placeholder="none" min={1} max={600_000} allowDecimal={false} clampBehavior="none" {...form.getInputProps('slowMs')} />
        <NumberInput id={`${id}-page-cap`} label="Node page cap" description="Wins over the cluster's" placeholder="none" min={1} max={1000} allowDecimal={false} clampBehavior="none" {...form.getInputProps('pageCap')} />
        <TextInput id={`${id}-fail-path`} label="Fail requests to" description="Path prefix; empty: none" placeholder="/api/v1/coSpaces" {...form.getInputProps('failPath')} />
        <NativeSelect id={`${id}-fail-method`} label="Method" description="Of the failing requests" data={[{ value: '', label: 'Any' }, 'GET', 'POST', 'PUT', 'DELETE']} {...form.getInputProps('failMethod')} />
        <NumberInput id={`${id}-fail-count`} label="How many" description="The next requests that fail" min={1} max={10_000} allowDecimal={false} clampBehavior="none" {...form.getInputProps('failCount')} />
        <NumberInput id={`${id}-fail-status`} label="Status" description="What they answer" min={400} max={599} allowDecimal={false} clampBehavior="none" {...form.getInputProps('failStatus')} />
      </SimpleGrid>
      {(f.failNext?.length ?? 0) > 1 && (
        <Text size="sm" c="orange" mt="xs">
          {node.name} has {f.failNext!.length} scripted failures (set through the API); applying replaces them with the one above, or none if its path is empty.
        </Text>
      )}
      <Group mt="sm" justify="flex-end">
        <Button variant="default" onClick={onClose}>Cancel</Button>
        <Button type="submit" color="red" loading={apply.isPending}>Apply faults</Button>
      </Group>
    </Paper>
  );
}

function Trace({ cluster, node }: { cluster: string; node: string }) {
  const trace = useQuery({ queryKey: ['lab', 'trace', cluster, node], queryFn: () => labApi.cmsTrace(cluster, node), refetchInterval: 2000 });
  const columns: Column<TraceEntry>[] = [
    { key: 'n', header: '#', numeric: true, sortValue: (e) => e.n, render: (e) => e.n },
    { key: 'at', header: 'Time', sortValue: (e) => e.at, render: (e) => <Time value={e.at} /> },
    { key: 'request', header: 'Request', searchValue: (e) => `${e.method} ${e.path}`, render: (e) => <Text ff="monospace" size="sm">{e.method} {e.path}</Text> },
    { key: 'body', header: 'Form body', searchValue: (e) => e.requestBody, render: (e) => <Text ff="monospace" size="xs">{e.requestBody ?? ''}</Text> },
    { key: 'status', header: 'Status', sortValue: (e) => e.status, searchValue: (e) => String(e.status ?? ''), render: (e) => e.status ?? '—' },
    { key: 'size', header: 'Size', numeric: true, render: (e) => e.size ?? '' },
    { key: 'location', header: 'Location', render: (e) => <Text ff="monospace" size="xs">{e.location ?? ''}</Text> },
    { key: 'fault', header: 'Fault', searchValue: (e) => e.fault, render: (e) => e.fault ?? '' },
  ];
  return (
    <>
      <ErrorNotice error={trace.error} title="The trace could not be read" />
      {trace.data && (
        <DataTable
          caption={`API trace of ${node}`}
          columns={columns}
          rows={[...trace.data.entries].reverse()}
          rowKey={(e) => String(e.n)}
          searchable
          searchLabel="Search the trace"
          pageSize={25}
          empty={{ title: 'No API requests yet', description: `Requests to ${node} appear here as they happen, from Switchboard or from any client.` }}
          footer={<TimeZoneNote />}
        />
      )}
    </>
  );
}

const legColour: Record<CmsLeg['state'], string> = { initial: 'gray', ringing: 'yellow', connected: 'green' };

function Calls({ cluster }: { cluster: string }) {
  const calls = useQuery({ queryKey: ['lab', 'calls', cluster], queryFn: () => labApi.cmsCalls(cluster), refetchInterval: 2000 });
  const columns: Column<CmsCall>[] = [
    { key: 'name', header: 'Call', sortValue: (c) => c.name, searchValue: (c) => `${c.name} ${c.id}`, render: (c) => <><Text size="sm">{c.name || c.id}</Text><Text size="xs" c="dimmed" ff="monospace">{c.id}</Text></> },
    { key: 'node', header: 'Call bridge', sortValue: (c) => c.node, searchValue: (c) => c.node, render: (c) => c.node },
    { key: 'type', header: 'Type', sortValue: (c) => c.callType, render: (c) => (c.callType === 'coSpace' ? 'space' : 'ad hoc') },
    { key: 'started', header: 'Started', sortValue: (c) => c.startedAt, render: (c) => <Time value={c.startedAt} /> },
    { key: 'count', header: 'Legs', numeric: true, sortValue: (c) => c.legs.length, render: (c) => c.legs.length },
    {
      key: 'participants',
      header: 'Participants (call legs)',
      searchValue: (c) => c.legs.map((l) => `${l.name} ${l.remoteParty}`).join(' '),
      render: (c) =>
        c.legs.length === 0 ? (
          <Text size="sm" c="dimmed">No one in the call</Text>
        ) : (
          <Stack gap={4} component="ul" style={{ listStyle: 'none', margin: 0, padding: 0 }} aria-label={`Participants of ${c.name || c.id}`}>
            {c.legs.map((l) => (
              <Group component="li" key={l.id} gap="xs" wrap="nowrap">
                <Badge color={legColour[l.state]} variant="light" tt="none">{l.state}</Badge>
                <Text size="sm">{l.name || l.remoteParty}</Text>
                {l.name && l.name !== l.remoteParty && <Text size="xs" c="dimmed" ff="monospace">{l.remoteParty}</Text>}
                <Text size="xs" c="dimmed">{l.direction}</Text>
              </Group>
            ))}
          </Stack>
        ),
    },
  ];
  return (
    <>
      <Title order={4} fz="md" mt="md" mb="xs">Active calls</Title>
      <ErrorNotice error={calls.error} title="The calls could not be read" />
      {calls.data && (
        <DataTable
          caption={`Calls on ${cluster}`}
          columns={columns}
          rows={calls.data.calls}
          rowKey={(c) => `${c.node}/${c.id}`}
          searchable={calls.data.calls.length > 5}
          searchLabel="Search calls and participants"
          pageSize={20}
          initialSort={{ key: 'started', direction: 'desc' }}
          empty={{ title: 'No active calls', description: 'A call appears here, with its participants, as soon as it runs on this cluster: when an endpoint dials into a space, or a client creates one through the CMS API (POST /calls, then call legs). Refreshes every 2 s.' }}
          footer={<Text size="xs" c="dimmed">Live from the simulator's memory; refreshes every 2 s.</Text>}
        />
      )}
    </>
  );
}

function ClusterSection({ cluster }: { cluster: CmsCluster }) {
  const can = useCan();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const [tracing, setTracing] = useState<string | null>(null);
  const done = () => void queryClient.invalidateQueries({ queryKey: ['lab'] });
  const clear = useMutation({
    mutationFn: (node: string) => labApi.clearCmsFaults(cluster.name, node),
    onSuccess: (_r, node) => notifySuccess(`${node} answers normally again.`, 'Faults cleared'),
    onError: (error) => notifyError(error, 'The faults could not be cleared'),
    onSettled: done,
  });
  const restart = useMutation({
    mutationFn: (node: string) => labApi.restartCmsNode(cluster.name, node),
    onSuccess: (_r, node) => notifySuccess(`${node} closed its listener and opened it again.`, 'Node restarted'),
    onError: (error) => notifyError(error, 'The node could not be restarted'),
    onSettled: done,
  });
  const askRestart = async (node: string) => {
    const forget = cluster.settings.forgetBulkSyncsOnRestart ? ' It forgets every bulk sync (this cluster is set to).' : '';
    if (await confirmAction({ title: `Restart ${node}?`, message: `Its connections drop and it listens again on the same port; calls stay.${forget}`, confirmLabel: 'Restart node', danger: true })) restart.mutate(node);
  };
  // Issue #14: a renewed certificate, for Meetings to raise Certificate Changed on the bridge.
  const rotate = useMutation({
    mutationFn: (node: string) => labApi.rotateCmsCertificate(cluster.name, node),
    onSuccess: (r, node) => notifySuccess(`${node} now presents SHA-256 ${r.fingerprint}.`, 'Certificate renewed'),
    onError: (error) => notifyError(error, 'The certificate could not be renewed'),
    onSettled: done,
  });
  const askRotate = async (node: string) => {
    if (await confirmAction({ title: `Renew the certificate of ${node}?`, message: `${node} gets a new self-signed certificate. Switchboard refuses to talk to it (a Certificate Changed ticket) until the new certificate is accepted on the bridge's page.`, confirmLabel: 'Renew certificate', danger: true })) rotate.mutate(node);
  };
  const manage = can('lab.manage');
  const editingNode = cluster.nodes.find((n) => n.name === editing);

  const columns: Column<CmsNode>[] = [
    { key: 'name', header: 'Call bridge', sortValue: (n) => n.name, render: (n) => n.name },
    { key: 'api', header: 'API', render: (n) => <Text ff="monospace" size="sm">{n.baseUrl}/api/v1</Text> },
    { key: 'advertised', header: 'Advertised in /callBridges', render: (n) => n.advertisedAddress },
    { key: 'state', header: 'State', sortValue: (n) => (n.up ? 0 : 1), render: (n) => <Badge color={n.up ? 'green' : 'red'} variant="light" tt="none">{n.up ? 'listening' : 'down'}</Badge> },
    { key: 'certificate', header: 'Certificate (SHA-256)', render: (n) => (n.certificateFingerprint ? <Text ff="monospace" size="xs" style={{ wordBreak: 'break-all' }}>{n.certificateFingerprint}</Text> : <Text size="xs" c="dimmed">plain HTTP: no certificate to renew</Text>) },
    { key: 'faults', header: 'Faults', render: (n) => describeCmsFaults(n.faults).join(', ') || 'none' },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      render: (n) => (
        <Group gap={4} wrap="wrap">
          {manage && <Button size="compact-xs" variant="default" onClick={() => setEditing(n.name)}>Faults…</Button>}
          {manage && <Button size="compact-xs" variant="default" disabled={describeCmsFaults(n.faults).length === 0} loading={clear.isPending && clear.variables === n.name} onClick={() => clear.mutate(n.name)}>Clear faults</Button>}
          {manage && <Button size="compact-xs" variant="default" color="red" loading={restart.isPending && restart.variables === n.name} onClick={() => void askRestart(n.name)}>Restart</Button>}
          {manage && <Button size="compact-xs" variant="default" color="red" disabled={!n.certificateFingerprint} loading={rotate.isPending && rotate.variables === n.name} onClick={() => void askRotate(n.name)}>Renew certificate</Button>}
          <Button size="compact-xs" variant={tracing === n.name ? 'filled' : 'default'} onClick={() => setTracing(tracing === n.name ? null : n.name)}>API trace</Button>
        </Group>
      ),
    },
  ];

  return (
    <Paper component="section" aria-labelledby={`cluster-${cluster.name}`} mb="xl">
      <Title order={3} fz="lg" id={`cluster-${cluster.name}`}>Cisco Meeting Server — {cluster.name}</Title>
      <Text size="sm" c="dimmed" mb="sm">
        API user <Code>{cluster.username}</Code>; {cluster.nodes.length === 1 ? 'a single call bridge' : `a cluster of ${cluster.nodes.length} call bridges sharing one space database`}.
      </Text>
      {manage ? <BehaviourForm cluster={cluster} /> : <Text size="sm" aria-label={`Settings of ${cluster.name}`} mb="sm">Behaviour: {describeVariance(cluster.settings)}.</Text>}
      <DataTable caption={`Call bridges of ${cluster.name}`} columns={columns} rows={cluster.nodes} rowKey={(n) => n.name} />
      {editingNode && <FaultEditor key={editingNode.name} cluster={cluster.name} node={editingNode} onClose={() => setEditing(null)} />}
      {tracing && (
        <Paper withBorder p="md" mt="md">
          <Title order={4} fz="md">API trace of {tracing}</Title>
          <Text size="xs" c="dimmed" mb="xs">Passcodes and secrets are shown as *****. Newest first; refreshes every 2 s.</Text>
          <Trace cluster={cluster.name} node={tracing} />
        </Paper>
      )}
      <Calls cluster={cluster.name} />
    </Paper>
  );
}

export function CmsTab() {
  const overview = useQuery({ queryKey: ['lab'], queryFn: labApi.overview, refetchInterval: 3000 });
  if (overview.error) return <ErrorNotice error={overview.error} title="The Lab could not be read" />;
  if (!overview.data) return <Text c="dimmed">Loading…</Text>;
  if (overview.data.cms.length === 0) return <EmptyState title="No CMS cluster in the Lab">The Lab starts its CMS clusters when the server starts; run <code>switchboard lab reset</code> and restart to seed the default ones.</EmptyState>;
  return (
    <>
      {overview.data.cms.map((cluster) => (
        <ClusterSection key={cluster.name} cluster={cluster} />
      ))}
    </>
  );
}
