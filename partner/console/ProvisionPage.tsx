import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Anchor, Button, Group, NativeSelect, Paper, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { ApiError, request } from '../../platform/console/src/api.ts';
import { EmptyState } from '../../platform/console/src/components/EmptyState.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time } from '../../platform/console/src/components/Time.tsx';
import { PartnerNav } from './PartnerNav.tsx';
import { getSubscriber, listCustomers, listTemplates, movingStates, packageOptions, type StatusRow } from './partner-api.ts';
import { StatusCell } from './SubscriberStatus.tsx';

// /partner/provision — "Provision subscriber" for support staff: the /v1 BroadWorks Subscribers
// API's fields (POST /v1/broadworks/subscribers), sent through the console API so a refused field
// comes back under that field. The subscriber it made is then followed until it settles.

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const blank = { provisioningId: '', userId: '', spEnterpriseId: '', firstName: '', lastName: '', package: '', email: '', primaryPhoneNumber: '', extension: '', mobilePhoneNumber: '', language: '', timezone: '', spEnterpriseGroupId: '' };
type Values = typeof blank;

function Provisioned({ first }: { first: StatusRow }) {
  const sub = useQuery({
    queryKey: ['partner', 'subscriber', first.id],
    queryFn: ({ signal }) => getSubscriber(first.id, signal),
    initialData: first,
    // Follows the job closely while it works; a pending user waits for a person, so less often.
    refetchInterval: (query) => (query.state.data && movingStates.includes(query.state.data.status) ? 1_000 : query.state.data?.status.startsWith('pending_') ? 5_000 : false),
  });
  const row = sub.data ?? first;
  const customer = useQuery({
    queryKey: ['partner', 'customers', 'enterprise', row.spEnterpriseId, row.status],
    queryFn: ({ signal }) => listCustomers({ q: row.spEnterpriseId, offset: 0, limit: 10 }, signal),
  });
  const org = customer.data?.items.find((c) => c.spEnterpriseId === row.spEnterpriseId);
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="provisioned-title" mt="md">
      <Title order={2} fz="lg" id="provisioned-title" mb="xs">
        Subscriber {row.userId}
      </Title>
      <Group gap="xl" align="flex-start">
        <div aria-label={`State of ${row.userId}`} role="group">
          <StatusCell row={row} />
        </div>
        <Text size="sm">
          {row.firstName} {row.lastName} · {row.package}
          {row.email ? ` · ${row.email}` : ''}
        </Text>
        <Text size="sm" c="dimmed">
          Last change <Time value={row.lastStatusChange} />
        </Text>
      </Group>
      <ErrorNotice error={sub.error} title="Could not follow the subscriber" />
      {org && (
        <Anchor component={Link} to={`/partner/customers/${org.id}`} size="sm" mt="xs" display="inline-block">
          Open {org.displayName}
        </Anchor>
      )}
    </Paper>
  );
}

export function ProvisionPage() {
  const templates = useQuery({ queryKey: ['partner', 'templates'], queryFn: ({ signal }) => listTemplates(signal) });
  const [made, setMade] = useState<StatusRow | null>(null);
  const form = useForm<Values>({
    mode: 'controlled',
    initialValues: blank,
    validate: {
      provisioningId: (v) => (v ? null : 'Choose the customer template to provision with.'),
      userId: (v) => (v.trim() ? null : 'Enter the BroadWorks user ID, such as alice@sp.example.'),
      spEnterpriseId: (v) => (v.trim() ? null : 'Enter the BroadWorks enterprise ID the user belongs to, such as SP1+acme.'),
      firstName: (v) => (v.trim() ? null : 'Enter the first name.'),
      lastName: (v) => (v.trim() ? null : 'Enter the last name.'),
      email: (v, values) => {
        const template = templates.data?.items.find((t) => t.provisioningId === values.provisioningId);
        if (v.trim() && !EMAIL.test(v.trim())) return 'Enter an email address such as alice@acme.example.';
        return !v.trim() && template?.trustedEmails ? 'This template trusts BroadWorks emails: enter the user’s email address.' : null;
      },
      primaryPhoneNumber: (v, values) => (v.trim() || values.extension.trim() ? null : 'Enter a primary phone number or an extension.'),
    },
  });
  const provision = useMutation({
    mutationFn: (values: Values) => {
      const template = templates.data?.items.find((t) => t.provisioningId === values.provisioningId);
      // Only what was filled in: the API takes absent optional fields, not empty strings.
      const body = Object.fromEntries(Object.entries({ ...values, package: values.package || template?.defaultPackage || 'basic' }).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== ''));
      return request<StatusRow>('/api/v1/partner/subscribers', { method: 'POST', body });
    },
    onSuccess: (row) => {
      setMade(row);
      notifySuccess(`${row.userId} is accepted; Webex sets them up now.`, 'Subscriber provisioning');
    },
    onError: (error) => form.setErrors(fieldErrors(error)),
  });
  const items = templates.data?.items ?? [];
  const chosen = items.find((t) => t.provisioningId === form.values.provisioningId);
  return (
    <>
      <PageHeader title="Provision subscriber" />
      <PartnerNav />
      <Text c="dimmed" size="sm" mb="md" maw={760}>
        Adds one BroadWorks subscriber to Webex, as BroadWorks or a partner script does through the BroadWorks Subscribers API. Use it to onboard a user by hand or to check a template.
      </Text>
      <ErrorNotice error={templates.error} title="Could not read the templates" />
      {templates.isSuccess && items.length === 0 && (
        <EmptyState title="No customer template yet" action={<Button component={Link} to="/partner/templates">Open templates</Button>}>
          A subscriber is provisioned with a template. Create one first.
        </EmptyState>
      )}
      {items.length > 0 && (
        <Paper withBorder p="md" radius="md">
          <form onSubmit={form.onSubmit((values) => { setMade(null); provision.mutate(values); })} aria-label="Provision subscriber" noValidate>
            <Stack gap="sm">
              <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm">
                <NativeSelect label="Customer template" data={[{ value: '', label: 'Choose a template' }, ...items.map((t) => ({ value: t.provisioningId, label: t.name }))]} {...form.getInputProps('provisioningId')} />
                <TextInput label="BroadWorks enterprise ID" description="spEnterpriseId: one customer organisation per enterprise" placeholder="SP1+acme" {...form.getInputProps('spEnterpriseId')} />
                <TextInput label="BroadWorks user ID" description="userId" placeholder="alice@sp.example" {...form.getInputProps('userId')} />
                <TextInput label="First name" {...form.getInputProps('firstName')} />
                <TextInput label="Last name" {...form.getInputProps('lastName')} />
                <TextInput label="Email" type="email" description={chosen ? (chosen.trustedEmails ? 'Required: this template trusts BroadWorks emails.' : 'Optional: the user confirms their address.') : undefined} {...form.getInputProps('email')} />
                <NativeSelect label="Package" data={[{ value: '', label: chosen ? `Template default (${chosen.defaultPackage})` : 'Template default' }, ...packageOptions]} {...form.getInputProps('package')} />
                <TextInput label="Primary phone number" description="This or an extension" placeholder="+1-240-555-0100" {...form.getInputProps('primaryPhoneNumber')} />
                <TextInput label="Extension" {...form.getInputProps('extension')} />
                <TextInput label="Mobile phone number (optional)" {...form.getInputProps('mobilePhoneNumber')} />
                <TextInput label="Language (optional)" placeholder="en" {...form.getInputProps('language')} />
                <TextInput label="Time zone (optional)" placeholder="Europe/London" {...form.getInputProps('timezone')} />
                <TextInput label="Enterprise group ID (optional)" description="spEnterpriseGroupId" {...form.getInputProps('spEnterpriseGroupId')} />
              </SimpleGrid>
              <ErrorNotice error={provision.error instanceof ApiError && Object.keys(fieldErrors(provision.error)).length ? null : provision.error} title="Could not provision the subscriber" />
              <Group>
                <Button type="submit" loading={provision.isPending}>
                  Provision subscriber
                </Button>
                <Button variant="default" onClick={() => { form.reset(); setMade(null); provision.reset(); }}>
                  Clear the form
                </Button>
              </Group>
            </Stack>
          </form>
        </Paper>
      )}
      {made && <Provisioned key={made.id} first={made} />}
    </>
  );
}
