import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { Alert, Anchor, Badge, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { ApiError, request } from '../../platform/console/src/api.ts';
import { EmptyState } from '../../platform/console/src/components/EmptyState.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { CustomerRemoval } from './CustomerRemoval.tsx';
import { CustomerSettings, type OrgSettingsView } from './CustomerSettings.tsx';
import { PartnerNav } from './PartnerNav.tsx';
import { getCustomer, listCustomerSubscribers, listTemplates, packageLabels, packages } from './partner-api.ts';
import { SubscriberTable } from './SubscriberTable.tsx';

// /partner/customers/<orgId> — one customer as Partner Hub shows it: the restricted-by-partner
// banner (P14), users per package, its subscribers with their states (P9, refreshed by itself),
// its settings (P13/P14), and detach or delete (P8, P12).

export function CustomerPage() {
  const { orgId = '' } = useParams();
  const can = useCan();
  const navigate = useNavigate();
  const [removing, setRemoving] = useState(false);
  const [gone, setGone] = useState(false);
  const customer = useQuery({ queryKey: ['partner', 'customer', orgId], queryFn: ({ signal }) => getCustomer(orgId, signal) });
  const settings = useQuery({ queryKey: ['partner', 'customer-settings', orgId], queryFn: () => request<OrgSettingsView>(`/api/v1/partner/customers/${orgId}/settings`) });
  const templates = useQuery({ queryKey: ['partner', 'templates'], queryFn: ({ signal }) => listTemplates(signal) });
  const c = customer.data;
  const template = templates.data?.items.find((t) => t.id === c?.templateId);
  if (customer.error instanceof ApiError && customer.error.status === 404 && !removing) {
    return (
      <>
        <PageHeader title="Customer not found" />
        <PartnerNav />
        <EmptyState
          title="This customer does not exist (any more)"
          action={
            <Button component={Link} to="/partner/customers">
              Back to the customers
            </Button>
          }
        >
          It may have been deleted or detached. The customer list shows the ones there are.
        </EmptyState>
      </>
    );
  }
  return (
    <>
      <PageHeader title={c ? c.displayName : 'Customer'}>
        {c && can('partner.manage') && (
          <Button variant="light" color="red" onClick={() => setRemoving(true)}>
            Detach or delete
          </Button>
        )}
      </PageHeader>
      <PartnerNav />
      <Anchor component={Link} to="/partner/customers" size="sm" mb="sm" display="inline-block">
        ← All customers
      </Anchor>
      <ErrorNotice error={customer.error} title="Could not read the customer" />
      {c && (
        <Stack gap="lg">
          {c.restricted && (
            <Alert color="orange" variant="light" title="Restricted by partner" role="status" aria-label="Restricted by partner">
              {settings.data?.banner ?? 'Its administrators see the partner-managed settings read-only or hidden.'} Turn it off under Settings below.
            </Alert>
          )}
          <Group gap="lg">
            <Text size="sm">
              BroadWorks enterprise <Text span ff="monospace">{c.spEnterpriseId}</Text>
            </Text>
            <Text size="sm">
              Template {template ? <Anchor component={Link} to={`/partner/templates?template=${template.id}`}>{template.name}</Anchor> : '…'}
            </Text>
            <Text size="sm">
              Created <Time value={c.createdAt} />
            </Text>
            {c.state !== 'active' && (
              <Badge color="red" variant="light" tt="none">
                {c.state}
              </Badge>
            )}
          </Group>
          <section aria-labelledby="customer-packages">
            <Title order={2} fz="lg" id="customer-packages" mb="xs">
              Packages
            </Title>
            <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
              {packages.map((p) => (
                <Paper key={p} withBorder p="sm" radius="md" aria-label={`${packageLabels[p]}: ${c.packages[p] ?? 0} provisioned`}>
                  <Text size="sm" c="dimmed">
                    {packageLabels[p]}
                  </Text>
                  <Text fw={600} fz="xl">
                    {c.packages[p] ?? 0}
                  </Text>
                </Paper>
              ))}
            </SimpleGrid>
          </section>
          <section aria-labelledby="customer-users">
            <Title order={2} fz="lg" id="customer-users" mb="xs">
              Users
            </Title>
            <SubscriberTable
              caption={`Users of ${c.displayName}`}
              queryKey={['partner', 'customer-subscribers', orgId]}
              fetchPage={(query, signal) => listCustomerSubscribers(orgId, query, signal)}
              empty={{ title: 'No users yet', description: 'Users appear here when BroadWorks provisions them (flow-through) or when you use Provision subscriber with this enterprise ID.' }}
            />
          </section>
          <CustomerSettings orgId={c.id} name={c.displayName} />
        </Stack>
      )}
      {removing && c && (
        <CustomerRemoval
          orgId={c.id}
          name={c.displayName}
          onClose={() => (gone ? navigate('/partner/customers') : setRemoving(false))}
          // Deleted or detached, the customer is no longer the partner's: closing returns to the list.
          onFinished={(_action, state) => setGone(state === 'completed')}
        />
      )}
    </>
  );
}
