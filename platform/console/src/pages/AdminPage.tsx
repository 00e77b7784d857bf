import { useRef, useState, type ChangeEvent, type ReactNode } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Badge, Button, Checkbox, Code, Group, Modal, NativeSelect, Paper, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import { useForm } from '@mantine/form';
import { createToken, createUser, listTokens, listUsers, revokeToken, updateUser, type ApiToken, type User, type UserPatch } from '../api.ts';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../components/feedback.tsx';
import { fieldErrors } from '../components/form-errors.ts';
import { PageHeader } from '../components/PageHeader.tsx';
import { Time, TimeZoneNote } from '../components/Time.tsx';
import { useActor, useCan } from '../session.tsx';
import { roleLabel } from '../Shell.tsx';
import { roles } from '../../../auth/roles.ts';

const PAGE_SIZE = 50;
const MIN_PASSWORD = 12;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const roleOptions = roles.map((role) => ({ value: role, label: roleLabel(role) }));

// Checked here so the message sits under the field before anything is sent; the server checks again
// and its refusals come back under the same fields (fieldErrors).
const needsOrg = (values: { role: string; customerOrgId: string }) => (values.role === 'customer_admin' && !UUID.test(values.customerOrgId.trim()) ? 'Customer admins act in one customer organisation: enter its ID, such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301.' : null);
const passwordRule = (value: string, optional = false) => (optional && !value ? null : value.length < MIN_PASSWORD ? `Use at least ${MIN_PASSWORD} characters (this one has ${value.length}).` : null);

function CustomerOrgField(props: { id: string; error?: ReactNode; value?: string; onChange?: (event: ChangeEvent<HTMLInputElement>) => void }) {
  return <TextInput id={props.id} label="Customer organisation ID" description="Required for customer admins." placeholder="UUID of the customer organisation" value={props.value} onChange={props.onChange} error={props.error} />;
}

function CreateUserForm() {
  const queryClient = useQueryClient();
  const [created, setCreated] = useState<User | null>(null);
  const form = useForm({
    mode: 'controlled',
    initialValues: { username: '', displayName: '', role: 'booker', password: '', customerOrgId: '' },
    validate: {
      username: (value) => (value.trim() ? null : 'Enter the name they will sign in with.'),
      password: (value) => passwordRule(value),
      customerOrgId: (_value, values) => needsOrg(values),
    },
  });
  const create = useMutation({
    mutationFn: (values: typeof form.values) =>
      createUser({
        username: values.username.trim(),
        displayName: values.displayName.trim() || undefined,
        role: values.role,
        password: values.password,
        customerOrgId: values.role === 'customer_admin' ? values.customerOrgId.trim() : undefined,
      }),
    onSuccess: (user) => {
      setCreated(user);
      form.reset();
      notifySuccess(`${user.username} can sign in now.`, 'User created');
      void queryClient.invalidateQueries({ queryKey: ['users'] });
    },
    onError: (error) => form.setErrors(fieldErrors(error)),
  });

  return (
    <Paper component="form" onSubmit={form.onSubmit((values) => { setCreated(null); create.mutate(values); })} aria-labelledby="create-user-title" mb="md" noValidate>
      <Title order={3} fz="md" id="create-user-title" mb="sm">
        New user
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
        <TextInput id="user-username" label="Username" autoComplete="off" {...form.getInputProps('username')} />
        <TextInput id="user-display-name" label="Display name (optional)" autoComplete="off" {...form.getInputProps('displayName')} />
        <NativeSelect id="user-role" label="Role" data={roleOptions} {...form.getInputProps('role')} />
        <TextInput id="user-password" label="Password" type="password" autoComplete="new-password" description={`At least ${MIN_PASSWORD} characters.`} {...form.getInputProps('password')} />
        {form.values.role === 'customer_admin' && <CustomerOrgField id="user-customer-org" {...form.getInputProps('customerOrgId')} />}
      </SimpleGrid>
      <ErrorNotice error={create.error} title="Could not create the user" />
      {created && (
        <Alert color="green" variant="light" role="status" mt="sm">
          User <strong>{created.username}</strong> created with role {roleLabel(created.role)}.
        </Alert>
      )}
      <Group mt="sm">
        <Button type="submit" loading={create.isPending}>
          Create user
        </Button>
      </Group>
    </Paper>
  );
}

function EditUserModal({ user, onClose }: { user: User; onClose: () => void }) {
  const queryClient = useQueryClient();
  const form = useForm({
    mode: 'controlled',
    initialValues: { displayName: user.displayName, role: user.role, customerOrgId: user.customerOrgId ?? '', disabled: user.disabled, password: '' },
    validate: {
      displayName: (value) => (value.trim() ? null : 'Enter the name shown for this user.'),
      password: (value) => passwordRule(value, true),
      customerOrgId: (_value, values) => needsOrg(values),
    },
  });
  const save = useMutation({
    mutationFn: (values: typeof form.values) => {
      // Only what changed: a role, password or disabled change also ends the user's sessions.
      const patch: UserPatch = {};
      if (values.displayName.trim() !== user.displayName) patch.displayName = values.displayName.trim();
      if (values.role !== user.role) patch.role = values.role;
      if (values.role === 'customer_admin' && values.customerOrgId.trim() !== (user.customerOrgId ?? '')) patch.customerOrgId = values.customerOrgId.trim();
      if (values.disabled !== user.disabled) patch.disabled = values.disabled;
      if (values.password) patch.password = values.password;
      return updateUser(user.id, patch);
    },
    onSuccess: () => {
      notifySuccess(`${user.username} saved.`);
      void queryClient.invalidateQueries({ queryKey: ['users'] });
      onClose();
    },
    onError: (error) => form.setErrors(fieldErrors(error)),
  });
  const prefix = `edit-${user.id}`;
  return (
    <Modal opened onClose={onClose} title={`Edit ${user.username}`} size="lg">
      <form onSubmit={form.onSubmit((values) => save.mutate(values))} aria-label={`Edit ${user.username}`} noValidate>
        <Stack gap="sm">
          <TextInput id={`${prefix}-name`} label="Display name" {...form.getInputProps('displayName')} />
          <NativeSelect id={`${prefix}-role`} label="Role" data={roleOptions} {...form.getInputProps('role')} />
          {form.values.role === 'customer_admin' && <CustomerOrgField id={`${prefix}-org`} {...form.getInputProps('customerOrgId')} />}
          <TextInput id={`${prefix}-password`} type="password" label="New password (optional)" autoComplete="new-password" {...form.getInputProps('password')} />
          <Checkbox id={`${prefix}-disabled`} label="Disabled (cannot sign in)" {...form.getInputProps('disabled', { type: 'checkbox' })} />
          <Text size="xs" c="dimmed">
            Changing the role, password or status signs {user.username} out everywhere.
          </Text>
          <ErrorNotice error={save.error} title="Could not save the user" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              Save changes
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function UsersSection() {
  const can = useCan();
  const actor = useActor();
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<User | null>(null);
  const users = useQuery({
    queryKey: ['users', offset],
    queryFn: ({ signal }) => listUsers({ offset, limit: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const mayManage = can('users.manage');
  const columns: Column<User>[] = [
    {
      key: 'username',
      header: 'Username',
      sortValue: (u) => u.username,
      searchValue: (u) => `${u.username} ${u.displayName}`,
      render: (u) => (
        <>
          {u.username}
          {u.id === actor.id && (
            <Text size="xs" c="dimmed">
              you
            </Text>
          )}
        </>
      ),
    },
    { key: 'displayName', header: 'Display name', sortValue: (u) => u.displayName, render: (u) => u.displayName },
    {
      key: 'role',
      header: 'Role',
      sortValue: (u) => roleLabel(u.role),
      searchValue: (u) => roleLabel(u.role),
      render: (u) => (
        <>
          {roleLabel(u.role)}
          {u.customerOrgId && (
            <Text size="xs" c="dimmed" ff="monospace">
              {u.customerOrgId}
            </Text>
          )}
        </>
      ),
    },
    {
      key: 'status',
      header: 'Status',
      sortValue: (u) => (u.disabled ? 1 : 0),
      render: (u) => (
        <Badge variant="light" color={u.disabled ? 'red' : 'green'} tt="none">
          {u.disabled ? 'Disabled' : 'Active'}
        </Badge>
      ),
    },
    { key: 'created', header: 'Created', sortValue: (u) => u.createdAt, render: (u) => <Time value={u.createdAt} /> },
    ...(mayManage
      ? [
          {
            key: 'actions',
            header: <span className="visually-hidden">Actions</span>,
            render: (u: User) => (
              <Button size="compact-xs" variant="default" aria-label={`Edit ${u.username}`} onClick={() => setEditing(u)}>
                Edit
              </Button>
            ),
          },
        ]
      : []),
  ];

  return (
    <Paper component="section" aria-labelledby="users-title" mb="lg">
      <Title order={2} fz="lg" id="users-title">
        Users
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        People who sign in to this console. Changing a user's role, password or status signs them out everywhere.
      </Text>
      {mayManage && <CreateUserForm />}
      <ErrorNotice error={users.error} title="Could not load users" />
      {users.data && (
        <DataTable caption="Users" columns={columns} rows={users.data.items} rowKey={(u) => u.id} searchable searchLabel="Search users" paging={{ total: users.data.total, offset, limit: PAGE_SIZE, onChange: setOffset }} footer={<TimeZoneNote />} />
      )}
      {editing && <EditUserModal user={editing} onClose={() => setEditing(null)} />}
    </Paper>
  );
}

function NewTokenPanel({ token, onDismiss }: { token: ApiToken & { token: string }; onDismiss: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopied('yes');
    } catch {
      // The clipboard API needs a secure context; selecting lets the user copy by hand.
      input.current?.select();
      setCopied('no');
    }
  };
  return (
    <Alert color="green" variant="light" className="token-once" role="status" title={`Token “${token.name}” created`} mb="md">
      <Text size="sm">Copy it now: this is the only time it is shown. Switchboard stores only a hash of it.</Text>
      <Group gap="xs" mt="xs" wrap="nowrap">
        <TextInput id="new-token-value" ref={input} readOnly value={token.token} aria-label="Your new API token" ff="monospace" style={{ flex: 1 }} onFocus={(event) => event.currentTarget.select()} />
        <Button variant="default" onClick={copy}>
          Copy
        </Button>
      </Group>
      {copied === 'yes' && <Text size="xs" mt={4}>Copied to the clipboard.</Text>}
      {copied === 'no' && <Text size="xs" mt={4}>Could not reach the clipboard; the token is selected, copy it with Ctrl+C.</Text>}
      <Button mt="sm" onClick={onDismiss}>
        I have copied it
      </Button>
    </Alert>
  );
}

function CreateTokenForm() {
  const queryClient = useQueryClient();
  const [created, setCreated] = useState<(ApiToken & { token: string }) | null>(null);
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: '', role: 'read_only_admin', customerOrgId: '', expiresOn: null as string | null },
    validate: {
      name: (value) => (value.trim() ? null : 'Name the token after what will use it, such as provisioning-script.'),
      customerOrgId: (_value, values) => needsOrg(values),
    },
  });
  const create = useMutation({
    mutationFn: (values: typeof form.values) =>
      createToken({
        name: values.name.trim(),
        role: values.role,
        customerOrgId: values.role === 'customer_admin' ? values.customerOrgId.trim() : undefined,
        // A date without a time: the token works through the end of that day, in this browser's zone.
        expiresAt: values.expiresOn ? new Date(`${values.expiresOn}T23:59:59.999`).toISOString() : undefined,
      }),
    onSuccess: (token) => {
      setCreated(token);
      form.reset();
      void queryClient.invalidateQueries({ queryKey: ['tokens'] });
    },
    onError: (error) => form.setErrors(fieldErrors(error, { expiresAt: 'expiresOn' })),
  });

  return (
    <>
      {created && <NewTokenPanel token={created} onDismiss={() => setCreated(null)} />}
      <Paper component="form" onSubmit={form.onSubmit((values) => { setCreated(null); create.mutate(values); })} aria-labelledby="create-token-title" mb="md" noValidate>
        <Title order={3} fz="md" id="create-token-title" mb="sm">
          New API token
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
          <TextInput id="token-name" label="Name" autoComplete="off" placeholder="e.g. provisioning-script" {...form.getInputProps('name')} />
          <NativeSelect id="token-role" label="Role" data={roleOptions} {...form.getInputProps('role')} />
          <DatePickerInput id="token-expires" label="Expires after (optional)" placeholder="Never" clearable valueFormat="YYYY-MM-DD" minDate={new Date()} {...form.getInputProps('expiresOn')} />
          {form.values.role === 'customer_admin' && <CustomerOrgField id="token-customer-org" {...form.getInputProps('customerOrgId')} />}
        </SimpleGrid>
        <ErrorNotice error={create.error} title="Could not create the token" />
        <Group mt="sm">
          <Button type="submit" loading={create.isPending}>
            Create token
          </Button>
        </Group>
      </Paper>
    </>
  );
}

function tokenStatus(token: ApiToken): { label: string; color: string } {
  if (token.revokedAt) return { label: 'Revoked', color: 'gray' };
  if (token.expiresAt && new Date(token.expiresAt).getTime() <= Date.now()) return { label: 'Expired', color: 'gray' };
  return { label: 'Active', color: 'green' };
}

function RevokeButton({ token }: { token: ApiToken }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => revokeToken(token.id),
    onSuccess: () => {
      notifySuccess(`Token ${token.name} revoked. Calls with it are refused from now on.`);
      void queryClient.invalidateQueries({ queryKey: ['tokens'] });
    },
    onError: (error) => notifyError(error, 'Could not revoke the token'),
  });
  const ask = async () => {
    if (await confirmAction({ title: `Revoke ${token.name}?`, message: 'Scripts using this token are refused from now on. A revoked token cannot be brought back; create a new one instead.', confirmLabel: 'Revoke token', danger: true })) revoke.mutate();
  };
  return (
    <Button size="compact-xs" variant="default" color="red" loading={revoke.isPending} aria-label={`Revoke ${token.name}`} onClick={() => void ask()}>
      Revoke
    </Button>
  );
}

const tokenColumns: Column<ApiToken>[] = [
  { key: 'name', header: 'Name', sortValue: (t) => t.name, searchValue: (t) => t.name, render: (t) => t.name },
  { key: 'prefix', header: 'Token', searchValue: (t) => t.prefix, render: (t) => <Code>{t.prefix}…</Code> },
  { key: 'role', header: 'Role', sortValue: (t) => roleLabel(t.role), searchValue: (t) => roleLabel(t.role), render: (t) => roleLabel(t.role) },
  {
    key: 'status',
    header: 'Status',
    sortValue: (t) => tokenStatus(t).label,
    render: (t) => {
      const status = tokenStatus(t);
      return (
        <Badge variant="light" color={status.color} tt="none">
          {status.label}
        </Badge>
      );
    },
  },
  { key: 'created', header: 'Created', sortValue: (t) => t.createdAt, render: (t) => <Time value={t.createdAt} /> },
  { key: 'lastUsed', header: 'Last used', sortValue: (t) => t.lastUsedAt, render: (t) => <Time value={t.lastUsedAt} /> },
  { key: 'expires', header: 'Expires', sortValue: (t) => t.expiresAt, render: (t) => <Time value={t.expiresAt} /> },
  { key: 'actions', header: <span className="visually-hidden">Actions</span>, render: (t) => tokenStatus(t).label === 'Active' && <RevokeButton token={t} /> },
];

function TokensSection() {
  const can = useCan();
  const [offset, setOffset] = useState(0);
  const allowed = can('tokens.manage');
  const tokens = useQuery({
    queryKey: ['tokens', offset],
    queryFn: ({ signal }) => listTokens({ offset, limit: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
    enabled: allowed,
  });

  return (
    <Paper component="section" aria-labelledby="tokens-title">
      <Title order={2} fz="lg" id="tokens-title">
        API tokens
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        Tokens let scripts and other systems call the API (<Code>Authorization: Bearer sbt_…</Code>) with the rights of one role.
      </Text>
      {!allowed ? (
        <Alert color="blue" variant="light">
          Managing API tokens is not allowed for your role.
        </Alert>
      ) : (
        <>
          <CreateTokenForm />
          <ErrorNotice error={tokens.error} title="Could not load API tokens" />
          {tokens.data && (
            <DataTable
              caption="API tokens"
              columns={tokenColumns}
              rows={tokens.data.items}
              rowKey={(t) => t.id}
              searchable={tokens.data.items.length > 5}
              searchLabel="Search tokens"
              paging={{ total: tokens.data.total, offset, limit: PAGE_SIZE, onChange: setOffset }}
              empty={{ title: 'No API tokens yet', description: 'Create one above for each script or system that calls the API, with the least role it needs.' }}
              footer={<TimeZoneNote />}
            />
          )}
        </>
      )}
    </Paper>
  );
}

export function AdminPage() {
  const can = useCan();
  return (
    <>
      <PageHeader title="Administration" />
      {can('users.read') ? (
        <>
          <UsersSection />
          <TokensSection />
        </>
      ) : (
        <Alert color="red" variant="light" role="alert" title="Not allowed for your role">
          Administration needs an admin role.
        </Alert>
      )}
    </>
  );
}
