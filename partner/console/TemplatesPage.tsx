import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { Badge, Button, Code, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { request } from '../../platform/console/src/api.ts';
import { useCan } from '../../platform/console/src/session.tsx';
import { PartnerNav } from './PartnerNav.tsx';
import { listClusters, listTemplateSubscribers, listTemplates, packageLabels, type Template } from './partner-api.ts';
import { SubscriberTable } from './SubscriberTable.tsx';
import { TemplateForm } from './TemplateForm.tsx';

// /partner/templates — customer templates (P3) and, for the one picked, its user status view (P5,
// P9). The picked template is in the address (?template=), so a link can open its users.

export function TemplatesPage() {
  const can = useCan();
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const [editing, setEditing] = useState<Template | 'new' | null>(null);
  const templates = useQuery({ queryKey: ['partner', 'templates'], queryFn: ({ signal }) => listTemplates(signal) });
  const clusters = useQuery({ queryKey: ['partner', 'clusters'], queryFn: ({ signal }) => listClusters(signal) });
  const remove = useMutation({
    mutationFn: (t: Template) => request(`/api/v1/partner/templates/${t.id}`, { method: 'DELETE' }),
    onSuccess: (_r, t) => notifySuccess(`${t.name} deleted.`, 'Template deleted'),
    onError: (error) => notifyError(error, 'Could not delete the template'),
    onSettled: () => client.invalidateQueries({ queryKey: ['partner'] }),
  });
  const manage = can('partner.manage');
  const clusterName = (id: string) => clusters.data?.items.find((c) => c.id === id)?.name ?? '…';
  const selected = templates.data?.items.find((t) => t.id === params.get('template'));
  const columns: Column<Template>[] = [
    { key: 'name', header: 'Name', sortValue: (t) => t.name, searchValue: (t) => t.name, render: (t) => <Text fw={500}>{t.name}</Text> },
    { key: 'cluster', header: 'Cluster', sortValue: (t) => clusterName(t.clusterId), render: (t) => clusterName(t.clusterId) },
    { key: 'provisioningId', header: 'Provisioning ID', searchValue: (t) => t.provisioningId, render: (t) => <Code fz="xs">{t.provisioningId}</Code> },
    { key: 'package', header: 'Default package', sortValue: (t) => t.defaultPackage, render: (t) => packageLabels[t.defaultPackage] ?? t.defaultPackage },
    {
      key: 'emails',
      header: 'Emails',
      sortValue: (t) => Number(t.trustedEmails),
      render: (t) => (
        <Badge variant="light" color={t.trustedEmails ? 'green' : 'yellow'} tt="none">
          {t.trustedEmails ? 'trusted' : 'untrusted'}
        </Badge>
      ),
    },
    { key: 'self', header: 'Self-activation', render: (t) => (t.allowSelfActivation ? <Code fz="xs">{`/self-activate/${t.provisioningId}`}</Code> : 'off') },
    {
      key: 'actions',
      header: 'Actions',
      render: (t) => (
        <Group gap={4} wrap="nowrap">
          <Button size="compact-xs" variant="light" onClick={() => setParams({ template: t.id })}>
            User status
          </Button>
          {manage && (
            <Button size="compact-xs" variant="subtle" onClick={() => setEditing(t)}>
              Edit
            </Button>
          )}
          {manage && (
            <Button
              size="compact-xs"
              variant="subtle"
              color="red"
              onClick={async () => {
                if (await confirmAction({ title: `Delete ${t.name}?`, message: 'BroadWorks can no longer provision with its provisioning ID. A template that customers or subscribers use cannot be deleted.', confirmLabel: 'Delete template', danger: true })) remove.mutate(t);
              }}
            >
              Delete
            </Button>
          )}
        </Group>
      ),
    },
  ];
  const noCluster = clusters.isSuccess && clusters.data.items.length === 0;
  return (
    <>
      <PageHeader title="Customer templates">
        {manage && (
          <Button onClick={() => setEditing('new')} disabled={!clusters.data?.items.length}>
            New template
          </Button>
        )}
      </PageHeader>
      <PartnerNav />
      <Text c="dimmed" size="sm" mb="sm">
        A template tells Webex how to onboard the subscribers BroadWorks sends with its provisioning ID: the cluster, the provisioning account, the default package and the onboarding options.
      </Text>
      <ErrorNotice error={templates.error ?? clusters.error} title="Could not read the templates" />
      {templates.data && (
        <DataTable
          caption="Customer templates"
          columns={columns}
          rows={templates.data.items}
          rowKey={(t) => t.id}
          searchable={templates.data.items.length > 5}
          empty={
            noCluster
              ? { title: 'Add a BroadWorks cluster first', description: 'A template belongs to a cluster. Turn the Lab on for a simulated one, or add yours with POST /api/v1/partner/clusters.' }
              : { title: 'No customer templates yet', description: 'Create one, then set its provisioning ID and account on BroadWorks (Integrated IM&P) so subscribers flow through.', action: manage ? <Button onClick={() => setEditing('new')}>New template</Button> : undefined }
          }
          initialSort={{ key: 'name', direction: 'asc' }}
        />
      )}
      {selected && (
        <Paper withBorder p="md" radius="md" mt="lg" component="section" aria-labelledby="template-status">
          <Stack gap="xs">
            <Group justify="space-between">
              <Title order={2} fz="lg" id="template-status">
                User status — {selected.name}
              </Title>
              <Button size="xs" variant="subtle" onClick={() => setParams({})}>
                Close
              </Button>
            </Group>
            <SubscriberTable
              caption={`Users of ${selected.name}`}
              queryKey={['partner', 'template-subscribers', selected.id]}
              fetchPage={(query, signal) => listTemplateSubscribers(selected.id, query, signal)}
              csvHref={(exclude) => `/api/v1/partner/templates/${selected.id}/users.csv${exclude ? '?excludeProvisioned=true' : ''}`}
              empty={{ title: 'No users yet', description: 'BroadWorks has not provisioned anyone with this template. Use Provision subscriber to add one by hand.' }}
            />
          </Stack>
        </Paper>
      )}
      {editing && <TemplateForm key={editing === 'new' ? 'new' : editing.id} template={editing === 'new' ? undefined : editing} clusters={clusters.data?.items ?? []} onDone={() => setEditing(null)} />}
    </>
  );
}
