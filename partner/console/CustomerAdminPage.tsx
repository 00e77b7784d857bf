import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Group, NativeSelect, Paper, SimpleGrid, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { request } from '../../platform/console/src/api.ts';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import type { OrgSettingsView } from './CustomerSettings.tsx';

// What a customer admin sees (Control Hub for their own org): the restricted-by-partner banner
// (P14), the org's settings with restricted controls read-only or hidden, its users.

type Access = { restrictedByPartner: boolean; banner: string | null; controls: { id: string; section: string; label: string; allowed: boolean; hidden: boolean }[] };
type User = { id: string; email: string; displayName: string; isAdmin: boolean; package: string | null; freeCalling: boolean; webexAssistant: boolean };

/** The settings a customer admin edits here, and the restricted control guarding each (null: none). */
const fields: { key: string; label: string; control: string | null; kind: 'text' | 'bool' | string[] }[] = [
  { key: 'companyName', label: 'Company name', control: 'account.company-name', kind: 'text' },
  { key: 'domain', label: 'Domain', control: 'settings.domain', kind: 'text' },
  { key: 'authenticationMode', label: 'Authentication', control: 'settings.authentication', kind: ['broadworks', 'webex', 'sso'] },
  { key: 'directorySync', label: 'Directory synchronisation', control: 'users.directory-sync', kind: 'bool' },
  { key: 'autoLicense', label: 'Automatic licence assignment', control: 'users.auto-license', kind: 'bool' },
  { key: 'callBehavior', label: 'Call behaviour', control: 'calling.behavior', kind: ['webex_app', 'jabber', 'third_party'] },
  { key: 'pstnConnection', label: 'PSTN connection', control: 'calling.pstn', kind: ['none', 'local_gateway', 'cisco_pstn'] },
  { key: 'webexAssistant', label: 'Webex Assistant', control: null, kind: 'bool' },
];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function CustomerAdminPage({ orgId }: { orgId: string }) {
  const client = useQueryClient();
  const access = useQuery({ queryKey: ['customer', orgId, 'access'], queryFn: () => request<Access>(`/api/v1/partner/customers/${orgId}/access`) });
  const settings = useQuery({ queryKey: ['customer', orgId, 'settings'], queryFn: () => request<OrgSettingsView>(`/api/v1/partner/customers/${orgId}/settings`) });
  const users = useQuery({ queryKey: ['customer', orgId, 'users'], queryFn: () => request<{ items: User[] }>(`/api/v1/partner/customers/${orgId}/users`) });
  const patch = useMutation({
    mutationFn: (body: Record<string, unknown>) => request(`/api/v1/partner/customers/${orgId}/settings`, { method: 'PATCH', body }),
    onSuccess: () => notifySuccess('Setting saved.'),
    onError: (error) => notifyError(error, 'Could not save the setting'),
    onSettled: () => client.invalidateQueries({ queryKey: ['customer', orgId] }),
  });
  const form = useForm({ mode: 'controlled', initialValues: { email: '' }, validate: { email: (v) => (EMAIL.test(v.trim()) ? null : 'Enter an email address such as name@example.com.') } });
  const addUser = useMutation({
    mutationFn: (email: string) => request(`/api/v1/partner/customers/${orgId}/users`, { method: 'POST', body: { email } }),
    onSuccess: (_r, email) => {
      notifySuccess(`${email} added.`, 'User added');
      form.reset();
    },
    onError: (error) => form.setErrors(fieldErrors(error)),
    onSettled: () => client.invalidateQueries({ queryKey: ['customer', orgId] }),
  });
  const allowed = (control: string | null) => control === null || (access.data?.controls.find((c) => c.id === control)?.allowed ?? false);
  const hidden = (control: string | null) => control !== null && (access.data?.controls.find((c) => c.id === control)?.hidden ?? false);
  const s = settings.data as Record<string, unknown> | undefined;
  const managed = 'Managed by your partner.';
  const userColumns: Column<User>[] = [
    { key: 'email', header: 'Email', sortValue: (u) => u.email, searchValue: (u) => u.email, render: (u) => u.email },
    { key: 'name', header: 'Name', sortValue: (u) => u.displayName, searchValue: (u) => u.displayName, render: (u) => u.displayName },
    { key: 'package', header: 'Package', sortValue: (u) => u.package, render: (u) => u.package ?? '—' },
    { key: 'admin', header: 'Admin', render: (u) => (u.isAdmin ? 'yes' : 'no') },
    { key: 'free', header: 'Free calling', render: (u) => (u.freeCalling ? 'on' : 'off') },
    { key: 'assistant', header: 'Webex Assistant', render: (u) => (u.webexAssistant ? 'on' : 'off') },
  ];
  return (
    <>
      <PageHeader title={`Organisation — ${settings.data?.companyName ?? ''}`} />
      {access.data?.banner && (
        <Alert color="orange" variant="light" role="status" aria-label="Restricted by partner" title="Restricted by partner" mb="md">
          {access.data.banner}
        </Alert>
      )}
      <ErrorNotice error={access.error ?? settings.error ?? users.error} />
      <Stack gap="lg">
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="org-settings">
          <Title order={2} fz="lg" id="org-settings" mb="sm">
            Organisation settings
          </Title>
          {s && (
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
              {fields
                .filter((f) => !hidden(f.control))
                .map((f) => {
                  const disabled = !allowed(f.control);
                  const value = s[f.key];
                  const description = disabled ? managed : undefined;
                  if (f.kind === 'bool') return <Switch key={f.key} label={f.label} description={description} checked={Boolean(value)} disabled={disabled} onChange={(e) => patch.mutate({ [f.key]: e.currentTarget.checked })} />;
                  if (Array.isArray(f.kind)) return <NativeSelect key={f.key} label={f.label} description={description} data={f.kind} value={String(value ?? '')} disabled={disabled} onChange={(e) => patch.mutate({ [f.key]: e.currentTarget.value })} />;
                  return (
                    <TextInput
                      key={`${f.key}-${String(value ?? '')}`}
                      label={f.label}
                      description={description ?? 'Saved when you leave the field.'}
                      defaultValue={String(value ?? '')}
                      disabled={disabled}
                      onBlur={(e) => e.currentTarget.value !== String(value ?? '') && patch.mutate({ [f.key]: e.currentTarget.value || null })}
                    />
                  );
                })}
            </SimpleGrid>
          )}
        </Paper>
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="org-users">
          <Title order={2} fz="lg" id="org-users" mb="sm">
            Users
          </Title>
          <form onSubmit={form.onSubmit((v) => addUser.mutate(v.email.trim()))} aria-label="Add user" noValidate>
            <Group align="flex-start" mb="sm">
              <TextInput label="Email" type="email" disabled={!allowed('users.manage')} description={allowed('users.manage') ? undefined : managed} {...form.getInputProps('email')} w={320} />
              <Button type="submit" mt={24} disabled={!allowed('users.manage')} loading={addUser.isPending}>
                Add user
              </Button>
            </Group>
          </form>
          {users.data && (
            <DataTable caption="Users" columns={userColumns} rows={users.data.items} rowKey={(u) => u.id} searchable={users.data.items.length > 5} pageSize={50} empty={{ title: 'No users yet', description: 'Add one by email above, or ask your partner to provision them from BroadWorks.' }} />
          )}
        </Paper>
      </Stack>
    </>
  );
}
