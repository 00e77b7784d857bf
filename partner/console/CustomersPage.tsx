import { useEffect, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { Anchor, Badge, Button, Group, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { PartnerNav } from './PartnerNav.tsx';
import { listCustomers, packageLabels, packages, type Customer } from './partner-api.ts';

// /partner/customers — Partner Hub's customer list (P1): searched and paged by the server (the
// search is in the address, so Back returns to it), each row opening the customer's page.

const PAGE_SIZE = 25;

export function CustomersPage() {
  const can = useCan();
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const [debounced] = useDebouncedValue(search.trim(), 300);
  const offset = Number(params.get('offset') ?? 0) || 0;
  useEffect(() => {
    if ((params.get('q') ?? '') === debounced) return;
    setParams(debounced ? { q: debounced } : {}, { replace: true });
  }, [debounced, params, setParams]);
  const q = params.get('q') ?? '';
  const customers = useQuery({
    queryKey: ['partner', 'customers', q, offset],
    queryFn: ({ signal }) => listCustomers({ q: q || undefined, offset, limit: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const columns: Column<Customer>[] = [
    {
      key: 'name',
      header: 'Organisation',
      sortValue: (c) => c.displayName,
      render: (c) => (
        <Anchor component={Link} to={`/partner/customers/${c.id}`} fw={500}>
          {c.displayName}
        </Anchor>
      ),
    },
    { key: 'enterprise', header: 'BroadWorks enterprise', sortValue: (c) => c.spEnterpriseId, render: (c) => <Text ff="monospace" size="sm">{c.spEnterpriseId}</Text> },
    {
      key: 'restricted',
      header: 'Restricted',
      sortValue: (c) => Number(c.restricted),
      render: (c) => (
        <Badge variant="light" color={c.restricted ? 'orange' : 'gray'} tt="none">
          {c.restricted ? 'Restricted' : 'Open'}
        </Badge>
      ),
    },
    ...packages.map((p): Column<Customer> => ({ key: p, header: packageLabels[p], numeric: true, sortValue: (c) => c.packages[p] ?? 0, render: (c) => c.packages[p] ?? 0 })),
    { key: 'created', header: 'Created', sortValue: (c) => c.createdAt, render: (c) => <Time value={c.createdAt} /> },
  ];
  const data = customers.data;
  return (
    <>
      <PageHeader title="Customers">
        {can('partner.manage') && (
          <Button component={Link} to="/partner/provision">
            Provision subscriber
          </Button>
        )}
      </PageHeader>
      <PartnerNav />
      <Group align="flex-end" mb="sm">
        <TextInput
          label="Search customers"
          description="Part of the organisation name or BroadWorks enterprise ID"
          placeholder="acme"
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
          w={360}
          type="search"
        />
        {customers.isFetching && (
          <Text size="xs" c="dimmed" role="status">
            Searching…
          </Text>
        )}
      </Group>
      <ErrorNotice error={customers.error} title="Could not read the customers" />
      {data && (
        <DataTable
          caption="Customers"
          columns={columns}
          rows={data.items}
          rowKey={(c) => c.id}
          paging={{ total: data.total, offset, limit: PAGE_SIZE, onChange: (next) => setParams(q ? { q, offset: String(next) } : { offset: String(next) }) }}
          empty={
            q
              ? { title: `No customer matches “${q}”`, description: 'Search for part of a name or enterprise ID, or clear the search box.', action: <Button variant="light" onClick={() => setSearch('')}>Clear the search</Button> }
              : {
                  title: 'No customers yet',
                  description: 'A customer organisation is created when the first subscriber of a BroadWorks enterprise is provisioned, by flow-through or from Provision subscriber.',
                  action: can('partner.manage') ? (
                    <Button component={Link} to="/partner/provision">
                      Provision subscriber
                    </Button>
                  ) : undefined,
                }
          }
          footer={<TimeZoneNote />}
        />
      )}
    </>
  );
}
