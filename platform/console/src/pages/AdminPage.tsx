import { useRef, useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createToken, createUser, listTokens, listUsers, revokeToken, updateUser, type ApiToken, type User, type UserPatch } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { Pager } from '../components/Pager.tsx';
import { Time, TimeZoneNote } from '../components/Time.tsx';
import { useActor, useCan } from '../session.tsx';
import { roleLabel } from '../Shell.tsx';
import { roles } from '../../../auth/roles.ts';

const PAGE_SIZE = 50;
const MIN_PASSWORD = 12;

function RoleSelect({ id, value, onChange }: { id: string; value: string; onChange: (role: string) => void }) {
  return (
    <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
      {roles.map((role) => (
        <option key={role} value={role}>
          {roleLabel(role)}
        </option>
      ))}
    </select>
  );
}

/** Customer admins act inside one customer organisation, so they must name it. */
function CustomerOrgField({ id, value, onChange }: { id: string; value: string; onChange: (value: string) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>Customer organisation ID</label>
      <input id={id} required value={value} placeholder="UUID of the customer organisation" aria-describedby={`${id}-hint`} onChange={(event) => onChange(event.target.value)} />
      <p className="hint" id={`${id}-hint`}>
        Required for customer admins.
      </p>
    </div>
  );
}

function CreateUserForm() {
  const queryClient = useQueryClient();
  const empty = { username: '', displayName: '', role: 'booker', password: '', customerOrgId: '' };
  const [form, setForm] = useState(empty);
  const [created, setCreated] = useState<User | null>(null);
  const set = (key: keyof typeof empty) => (value: string) => setForm((current) => ({ ...current, [key]: value }));

  const create = useMutation({
    mutationFn: () =>
      createUser({
        username: form.username.trim(),
        displayName: form.displayName.trim() || undefined,
        role: form.role,
        password: form.password,
        customerOrgId: form.role === 'customer_admin' ? form.customerOrgId.trim() : undefined,
      }),
    onSuccess: (user) => {
      setCreated(user);
      setForm(empty);
      void queryClient.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    create.mutate();
  };

  return (
    <form className="card form-card" onSubmit={submit} aria-labelledby="create-user-title">
      <h3 id="create-user-title">New user</h3>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="user-username">Username</label>
          <input id="user-username" required autoComplete="off" value={form.username} onChange={(event) => set('username')(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="user-display-name">Display name (optional)</label>
          <input id="user-display-name" autoComplete="off" value={form.displayName} onChange={(event) => set('displayName')(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="user-role">Role</label>
          <RoleSelect id="user-role" value={form.role} onChange={set('role')} />
        </div>
        <div className="field">
          <label htmlFor="user-password">Password</label>
          <input id="user-password" type="password" required minLength={MIN_PASSWORD} autoComplete="new-password" aria-describedby="user-password-hint" value={form.password} onChange={(event) => set('password')(event.target.value)} />
          <p className="hint" id="user-password-hint">
            At least {MIN_PASSWORD} characters.
          </p>
        </div>
        {form.role === 'customer_admin' && <CustomerOrgField id="user-customer-org" value={form.customerOrgId} onChange={set('customerOrgId')} />}
      </div>
      <ErrorNotice error={create.error} title="Could not create the user" />
      {created && (
        <p className="notice notice-success" role="status">
          User <strong>{created.username}</strong> created with role {roleLabel(created.role)}.
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create user'}
        </button>
      </div>
    </form>
  );
}

function EditUserRow({ user, onDone }: { user: User; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [displayName, setDisplayName] = useState(user.displayName);
  const [role, setRole] = useState(user.role);
  const [customerOrgId, setCustomerOrgId] = useState(user.customerOrgId ?? '');
  const [disabled, setDisabled] = useState(user.disabled);
  const [password, setPassword] = useState('');
  const save = useMutation({
    mutationFn: () => {
      // Only what changed: a role, password or disabled change also ends the user's sessions.
      const patch: UserPatch = {};
      if (displayName.trim() !== user.displayName) patch.displayName = displayName.trim();
      if (role !== user.role) patch.role = role;
      if (role === 'customer_admin' && customerOrgId.trim() !== (user.customerOrgId ?? '')) patch.customerOrgId = customerOrgId.trim();
      if (disabled !== user.disabled) patch.disabled = disabled;
      if (password) patch.password = password;
      return updateUser(user.id, patch);
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['users'] });
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const prefix = `edit-${user.id}`;
  return (
    <tr className="row-detail">
      <td colSpan={6}>
        <form className="inline-form" onSubmit={submit} aria-label={`Edit ${user.username}`}>
          <div className="form-grid">
            <div className="field">
              <label htmlFor={`${prefix}-name`}>Display name</label>
              <input id={`${prefix}-name`} required value={displayName} onChange={(event) => setDisplayName(event.target.value)} />
            </div>
            <div className="field">
              <label htmlFor={`${prefix}-role`}>Role</label>
              <RoleSelect id={`${prefix}-role`} value={role} onChange={setRole} />
            </div>
            {role === 'customer_admin' && <CustomerOrgField id={`${prefix}-org`} value={customerOrgId} onChange={setCustomerOrgId} />}
            <div className="field">
              <label htmlFor={`${prefix}-password`}>New password (optional)</label>
              <input id={`${prefix}-password`} type="password" minLength={MIN_PASSWORD} autoComplete="new-password" value={password} onChange={(event) => setPassword(event.target.value)} />
            </div>
            <div className="field field-checkbox">
              <input id={`${prefix}-disabled`} type="checkbox" checked={disabled} onChange={(event) => setDisabled(event.target.checked)} />
              <label htmlFor={`${prefix}-disabled`}>Disabled (cannot sign in)</label>
            </div>
          </div>
          <ErrorNotice error={save.error} title="Could not save the user" />
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={save.isPending}>
              {save.isPending ? 'Saving…' : 'Save changes'}
            </button>
            <button type="button" className="button button-secondary" onClick={onDone}>
              Cancel
            </button>
          </div>
        </form>
      </td>
    </tr>
  );
}

function UsersSection() {
  const can = useCan();
  const actor = useActor();
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<string | null>(null);
  const users = useQuery({
    queryKey: ['users', offset],
    queryFn: ({ signal }) => listUsers({ offset, limit: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const mayManage = can('users.manage');

  return (
    <section className="section" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <p className="section-intro">People who sign in to this console. Changing a user's role, password or status signs them out everywhere.</p>
      {mayManage && <CreateUserForm />}
      <ErrorNotice error={users.error} title="Could not load users" />
      {users.data && (
        <>
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">Users</caption>
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Display name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.data.items.map((user) => (
                  <UserRows key={user.id} user={user} isSelf={user.id === actor.id} editing={editing === user.id} mayManage={mayManage} onEdit={setEditing} />
                ))}
              </tbody>
            </table>
          </div>
          <div className="table-foot">
            <TimeZoneNote />
            <Pager label="Users" total={users.data.total} offset={offset} limit={PAGE_SIZE} onChange={setOffset} />
          </div>
        </>
      )}
    </section>
  );
}

function UserRows({ user, isSelf, editing, mayManage, onEdit }: { user: User; isSelf: boolean; editing: boolean; mayManage: boolean; onEdit: (id: string | null) => void }) {
  return (
    <>
      <tr>
        <td>
          {user.username}
          {isSelf && <span className="row-sub">you</span>}
        </td>
        <td>{user.displayName}</td>
        <td>
          {roleLabel(user.role)}
          {user.customerOrgId && <span className="row-sub mono">{user.customerOrgId}</span>}
        </td>
        <td>{user.disabled ? <span className="badge badge-failed">Disabled</span> : <span className="badge badge-completed">Active</span>}</td>
        <td>
          <Time value={user.createdAt} />
        </td>
        <td className="nowrap">
          {mayManage && (
            <button type="button" className="button button-small button-secondary" aria-expanded={editing} onClick={() => onEdit(editing ? null : user.id)}>
              {editing ? 'Close' : 'Edit'}
              <span className="visually-hidden"> {user.username}</span>
            </button>
          )}
        </td>
      </tr>
      {editing && <EditUserRow user={user} onDone={() => onEdit(null)} />}
    </>
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
    <div className="notice notice-success token-once" role="status" aria-labelledby="new-token-title">
      <p className="notice-title" id="new-token-title">
        Token “{token.name}” created
      </p>
      <p>Copy it now: this is the only time it is shown. Switchboard stores only a hash of it.</p>
      <div className="token-copy">
        <label htmlFor="new-token-value" className="visually-hidden">
          Your new API token
        </label>
        <input id="new-token-value" ref={input} readOnly value={token.token} className="mono" onFocus={(event) => event.target.select()} />
        <button type="button" className="button button-secondary" onClick={copy}>
          Copy
        </button>
      </div>
      {copied === 'yes' && <p className="hint">Copied to the clipboard.</p>}
      {copied === 'no' && <p className="hint">Could not reach the clipboard; the token is selected, copy it with Ctrl+C.</p>}
      <div className="actions">
        <button type="button" className="button button-primary" onClick={onDismiss}>
          I have copied it
        </button>
      </div>
    </div>
  );
}

function CreateTokenForm() {
  const queryClient = useQueryClient();
  const empty = { name: '', role: 'read_only_admin', customerOrgId: '', expiresOn: '' };
  const [form, setForm] = useState(empty);
  const [created, setCreated] = useState<(ApiToken & { token: string }) | null>(null);
  const set = (key: keyof typeof empty) => (value: string) => setForm((current) => ({ ...current, [key]: value }));
  const create = useMutation({
    mutationFn: () =>
      createToken({
        name: form.name.trim(),
        role: form.role,
        customerOrgId: form.role === 'customer_admin' ? form.customerOrgId.trim() : undefined,
        // A date without a time: the token works through the end of that day, in this browser's zone.
        expiresAt: form.expiresOn ? new Date(`${form.expiresOn}T23:59:59.999`).toISOString() : undefined,
      }),
    onSuccess: (token) => {
      setCreated(token);
      setForm(empty);
      void queryClient.invalidateQueries({ queryKey: ['tokens'] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    create.mutate();
  };

  return (
    <>
      {created && <NewTokenPanel token={created} onDismiss={() => setCreated(null)} />}
      <form className="card form-card" onSubmit={submit} aria-labelledby="create-token-title">
        <h3 id="create-token-title">New API token</h3>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="token-name">Name</label>
            <input id="token-name" required autoComplete="off" placeholder="e.g. provisioning-script" value={form.name} onChange={(event) => set('name')(event.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="token-role">Role</label>
            <RoleSelect id="token-role" value={form.role} onChange={set('role')} />
          </div>
          <div className="field">
            <label htmlFor="token-expires">Expires after (optional)</label>
            <input id="token-expires" type="date" value={form.expiresOn} onChange={(event) => set('expiresOn')(event.target.value)} />
          </div>
          {form.role === 'customer_admin' && <CustomerOrgField id="token-customer-org" value={form.customerOrgId} onChange={set('customerOrgId')} />}
        </div>
        <ErrorNotice error={create.error} title="Could not create the token" />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>
    </>
  );
}

function tokenStatus(token: ApiToken): { label: string; className: string } {
  if (token.revokedAt) return { label: 'Revoked', className: 'badge-cancelled' };
  if (token.expiresAt && new Date(token.expiresAt).getTime() <= Date.now()) return { label: 'Expired', className: 'badge-cancelled' };
  return { label: 'Active', className: 'badge-completed' };
}

function RevokeButton({ token }: { token: ApiToken }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation({
    mutationFn: () => revokeToken(token.id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['tokens'] }),
  });
  if (revoke.error) return <ErrorNotice error={revoke.error} title="Could not revoke the token" />;
  if (!confirming) {
    return (
      <button type="button" className="button button-small button-secondary" onClick={() => setConfirming(true)}>
        Revoke<span className="visually-hidden"> {token.name}</span>
      </button>
    );
  }
  return (
    <span className="confirm">
      <span>Revoke for good?</span>
      <button type="button" className="button button-small button-danger" disabled={revoke.isPending} onClick={() => revoke.mutate()} autoFocus>
        Yes, revoke<span className="visually-hidden"> {token.name}</span>
      </button>
      <button type="button" className="button button-small button-secondary" onClick={() => setConfirming(false)}>
        Keep
      </button>
    </span>
  );
}

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
    <section className="section" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="section-intro">
        Tokens let scripts and other systems call the API (<code>Authorization: Bearer sbt_…</code>) with the rights of one role.
      </p>
      {!allowed ? (
        <p className="notice notice-info">Managing API tokens is not allowed for your role.</p>
      ) : (
        <>
          <CreateTokenForm />
          <ErrorNotice error={tokens.error} title="Could not load API tokens" />
          {tokens.data &&
            (tokens.data.items.length === 0 ? (
              <p className="muted">No API tokens yet.</p>
            ) : (
              <>
                <div className="table-wrap">
                  <table className="table">
                    <caption className="visually-hidden">API tokens</caption>
                    <thead>
                      <tr>
                        <th scope="col">Name</th>
                        <th scope="col">Token</th>
                        <th scope="col">Role</th>
                        <th scope="col">Status</th>
                        <th scope="col">Created</th>
                        <th scope="col">Last used</th>
                        <th scope="col">Expires</th>
                        <th scope="col">
                          <span className="visually-hidden">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {tokens.data.items.map((token) => {
                        const status = tokenStatus(token);
                        return (
                          <tr key={token.id}>
                            <td>{token.name}</td>
                            <td>
                              <code>{token.prefix}…</code>
                            </td>
                            <td>{roleLabel(token.role)}</td>
                            <td>
                              <span className={`badge ${status.className}`}>{status.label}</span>
                            </td>
                            <td>
                              <Time value={token.createdAt} />
                            </td>
                            <td>
                              <Time value={token.lastUsedAt} />
                            </td>
                            <td>
                              <Time value={token.expiresAt} />
                            </td>
                            <td className="nowrap">{status.label === 'Active' && <RevokeButton token={token} />}</td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
                <div className="table-foot">
                  <TimeZoneNote />
                  <Pager label="API tokens" total={tokens.data.total} offset={offset} limit={PAGE_SIZE} onChange={setOffset} />
                </div>
              </>
            ))}
        </>
      )}
    </section>
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
        <div className="notice notice-error" role="alert">
          <p className="notice-title">Not allowed for your role</p>
          <p>Administration needs an admin role.</p>
        </div>
      )}
    </>
  );
}
