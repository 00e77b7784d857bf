import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Anchor, Button, Code, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { useActor, useCan } from '../../platform/console/src/session.tsx';
import { CustomerAdminPage } from './CustomerAdminPage.tsx';
import { ReleaseSchedule } from './CustomerSettings.tsx';
import { PartnerNav } from './PartnerNav.tsx';
import { getAnalytics, listClusters, listCustomers, listTemplates, packageLabels, packages, type Cluster } from './partner-api.ts';

// /partner — Partner Hub's overview for Webex for BroadWorks: how many customers, templates and
// users per package, the BroadWorks clusters (P4), the release schedule (P13). A customer admin
// sees their own organisation here instead (Control Hub, P14).

export function PartnerPage() {
  const actor = useActor();
  return actor.role === 'customer_admin' && actor.customerOrgId ? <CustomerAdminPage orgId={actor.customerOrgId} /> : <PartnerOverview />;
}

function Stat({ label, value, to }: { label: string; value: number | undefined; to?: string }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text fz={28} fw={700} aria-label={`${label}: ${value ?? 'loading'}`}>
        {value ?? '…'}
      </Text>
      {to && (
        <Anchor component={Link} to={to} size="sm">
          Open {label.toLowerCase()}
        </Anchor>
      )}
    </Paper>
  );
}

function PartnerOverview() {
  const can = useCan();
  const customers = useQuery({ queryKey: ['partner', 'customers', 'count'], queryFn: ({ signal }) => listCustomers({ offset: 0, limit: 1 }, signal) });
  const templates = useQuery({ queryKey: ['partner', 'templates'], queryFn: ({ signal }) => listTemplates(signal) });
  const clusters = useQuery({ queryKey: ['partner', 'clusters'], queryFn: ({ signal }) => listClusters(signal) });
  const analytics = useQuery({ queryKey: ['partner', 'analytics'], queryFn: ({ signal }) => getAnalytics(signal) });
  const perPackage = analytics.data?.usersPerPackage;
  const provisioned = perPackage ? packages.reduce((sum, p) => sum + (perPackage[p] ?? 0), 0) : undefined;
  const clusterColumns: Column<Cluster>[] = [
    { key: 'name', header: 'Name', sortValue: (c) => c.name, searchValue: (c) => c.name, render: (c) => c.name },
    { key: 'xsi', header: 'XSI actions', render: (c) => <Code>{c.xsiActionsUrl}</Code> },
    { key: 'events', header: 'XSI events', render: (c) => <Code>{c.xsiEventsUrl}</Code> },
    { key: 'auth', header: 'Auth service', render: (c) => <Code>{c.authServiceUrl}</Code> },
  ];
  return (
    <>
      <PageHeader title="Partner">
        {can('partner.manage') && (
          <Button component={Link} to="/partner/provision">
            Provision subscriber
          </Button>
        )}
      </PageHeader>
      <PartnerNav />
      <ErrorNotice error={customers.error ?? templates.error ?? clusters.error ?? analytics.error} title="Could not read the partner overview" />
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="md" mb="lg">
        <Stat label="Customers" value={customers.data?.total} to="/partner/customers" />
        <Stat label="Provisioned users" value={provisioned} to="/partner/analytics" />
        <Stat label="Templates" value={templates.data?.items.length} to="/partner/templates" />
        <Stat label="Clusters" value={clusters.data?.items.length} />
      </SimpleGrid>
      {perPackage && (
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm" mb="lg" aria-label="Provisioned users per package">
          {packages.map((p) => (
            <Paper key={p} withBorder p="sm" radius="md">
              <Text size="sm" c="dimmed">
                {packageLabels[p]}
              </Text>
              <Text fw={600}>{perPackage[p] ?? 0}</Text>
            </Paper>
          ))}
        </SimpleGrid>
      )}
      <Stack gap="xs" mb="lg">
        <Title order={2} fz="lg" id="clusters">
          BroadWorks clusters
        </Title>
        {clusters.data && (
          <DataTable
            caption="BroadWorks clusters"
            columns={clusterColumns}
            rows={clusters.data.items}
            rowKey={(c) => c.id}
            empty={{
              title: 'No BroadWorks cluster yet',
              description: 'Templates and subscribers need one. Turn the Lab on for a simulated cluster, or add yours with POST /api/v1/partner/clusters (its XSI URLs end in /v2.0/).',
            }}
          />
        )}
      </Stack>
      <ReleaseSchedule />
    </>
  );
}
