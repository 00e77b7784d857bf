import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Badge, Button, Paper, Tabs, Text, Title } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { CeTab } from './LabCe.tsx';
import { CmsTab } from './LabCms.tsx';
import { CssmTab, UcTab } from './LabLicensing.tsx';
import { BroadworksTab } from './LabSimulators.tsx';
import { ceApi, describeCeFaults, describeCmsFaults, describeCssmFault, describeUcFault, labApi } from './lab-api.ts';

// One tab per simulator family (S1–S4); CMS first, it is what Meetings drives. The tab is in the
// URL (?tab=) so a link or a reload opens the same one.
const tabs = [
  { id: 'cms', label: 'CMS', render: () => <CmsTab /> },
  { id: 'broadworks', label: 'BroadWorks', render: () => <BroadworksTab /> },
  { id: 'cssm', label: 'CSSM', render: () => <CssmTab /> },
  { id: 'uc', label: 'CUCM / Unity Connection', render: () => <UcTab /> },
  { id: 'ce', label: 'Room codecs', render: () => <CeTab /> },
] as const;

type ActiveFault = { key: string; simulator: string; target: string; fault: string; tab: string; clear: () => Promise<unknown> };

/** Every fault in force across the simulators, each with its Clear button (S5). */
function ActiveFaults({ onOpen }: { onOpen: (tab: string) => void }) {
  const can = useCan();
  const queryClient = useQueryClient();
  const overview = useQuery({ queryKey: ['lab'], queryFn: labApi.overview, refetchInterval: 3000 });
  const cssm = useQuery({ queryKey: ['lab', 'cssm'], queryFn: labApi.cssm, refetchInterval: 3000 });
  const uc = useQuery({ queryKey: ['lab', 'uc'], queryFn: labApi.uc, refetchInterval: 3000 });
  const ce = useQuery({ queryKey: ['lab', 'ce'], queryFn: ceApi.codecs, refetchInterval: 3000 });
  const clear = useMutation({
    mutationFn: (fault: ActiveFault) => fault.clear(),
    onSuccess: (_result, fault) => notifySuccess(`${fault.target} answers normally again.`, 'Fault cleared'),
    onError: (error) => notifyError(error, 'The fault could not be cleared'),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['lab'] }),
  });

  const rows: ActiveFault[] = [];
  for (const cluster of overview.data?.cms ?? []) {
    for (const node of cluster.nodes) {
      const words = describeCmsFaults(node.faults);
      if (words.length) rows.push({ key: `cms/${cluster.name}/${node.name}`, simulator: 'CMS', target: `${cluster.name} / ${node.name}`, fault: words.join(', '), tab: 'cms', clear: () => labApi.clearCmsFaults(cluster.name, node.name) });
    }
  }
  const cssmFault = cssm.data?.fault;
  if (cssmFault && cssmFault.fault.kind !== 'none') {
    const from = cssmFault.fromCall > 0 ? ` from API call ${cssmFault.fromCall + 1}` : '';
    rows.push({ key: 'cssm', simulator: 'CSSM', target: 'CSSM', fault: `${describeCssmFault(cssmFault.fault)}${from}${cssmFault.includeTokenEndpoint ? '' : ' (token endpoint spared)'}`, tab: 'cssm', clear: labApi.clearCssmFault });
  }
  for (const c of uc.data?.clusters ?? []) {
    if (c.fault.kind !== 'none') rows.push({ key: `uc/${c.name}`, simulator: c.type === 'CUCM' ? 'Unified CM' : 'Unity Connection', target: c.name, fault: describeUcFault(c.fault), tab: 'uc', clear: () => labApi.clearUcFault(c.name) });
  }

  for (const c of ce.data?.items ?? []) {
    const words = describeCeFaults(c.faults);
    if (words.length) rows.push({ key: `ce/${c.name}`, simulator: 'Room codec', target: c.name, fault: words.join(', '), tab: 'ce', clear: () => ceApi.clearFaults(c.name) });
  }

  const columns: Column<ActiveFault>[] = [
    { key: 'simulator', header: 'Simulator', sortValue: (f) => f.simulator, render: (f) => f.simulator },
    { key: 'target', header: 'Where', sortValue: (f) => f.target, render: (f) => <Button variant="subtle" size="compact-sm" onClick={() => onOpen(f.tab)}>{f.target}</Button> },
    { key: 'fault', header: 'Fault', render: (f) => <Badge color="red" variant="light" tt="none">{f.fault}</Badge> },
    ...(can('lab.manage')
      ? [{ key: 'clear', header: <span className="visually-hidden">Actions</span>, render: (f: ActiveFault) => <Button size="compact-xs" variant="default" aria-label={`Clear the fault of ${f.target}`} loading={clear.isPending && clear.variables?.key === f.key} onClick={() => clear.mutate(f)}>Clear</Button> }]
      : []),
  ];
  // Each simulator family is read on its own: one that cannot be read is said, the others still list.
  const loading = !overview.data && !overview.error;
  const unreadable = [overview, cssm, uc, ce].map((q) => q.error).find(Boolean);
  return (
    <Paper component="section" aria-labelledby="lab-active-faults" mb="lg">
      <Title order={2} fz="lg" id="lab-active-faults" mb="xs">
        Active faults
      </Title>
      <ErrorNotice error={unreadable} title="Some faults could not be read" />
      {loading ? (
        <Text size="sm" c="dimmed">Loading…</Text>
      ) : rows.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="no-active-faults">
          None: every simulator answers as a healthy system does. Break one from its tab below.
        </Text>
      ) : (
        <DataTable caption="Active faults" columns={columns} rows={rows} rowKey={(f) => f.key} />
      )}
    </Paper>
  );
}

export function LabPage() {
  const [params, setParams] = useSearchParams();
  const current = tabs.find((t) => t.id === params.get('tab'))?.id ?? 'cms';
  const open = (tab: string) => setParams(tab === 'cms' ? {} : { tab }, { replace: true });
  const overview = useQuery({ queryKey: ['lab'], queryFn: labApi.overview, refetchInterval: 3000 });
  return (
    <>
      <PageHeader title="Lab" />
      <Text c="dimmed" mb="md">
        Wire-faithful simulators of the systems Switchboard manages, running inside this server on loopback. Break them on purpose to see how Switchboard copes; every change is audited.
      </Text>
      {overview.data && !overview.data.enabled ? (
        <Paper p="lg" ta="center" bg="var(--mantine-color-gray-0)">
          <Title order={2} fz="lg">The Lab is off on this server</Title>
          <Text size="sm" c="dimmed">It starts by default with the embedded database; set <code>SWITCHBOARD_LAB=true</code> and restart Switchboard to start it.</Text>
        </Paper>
      ) : (
        <>
          <ActiveFaults onOpen={open} />
          <Tabs value={current} onChange={(value) => value && open(value)} keepMounted={false}>
            <Tabs.List aria-label="Simulators" mb="md">
              {tabs.map((t) => (
                <Tabs.Tab key={t.id} value={t.id}>
                  {t.label}
                </Tabs.Tab>
              ))}
            </Tabs.List>
            {tabs.map((t) => (
              <Tabs.Panel key={t.id} value={t.id}>
                <Title order={2} fz="xl" mb="sm">
                  {t.label}
                </Title>
                {t.render()}
              </Tabs.Panel>
            ))}
          </Tabs>
        </>
      )}
    </>
  );
}
