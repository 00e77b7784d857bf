import { useCallback, useEffect, useState } from 'react';
import { Alert, Badge, Button, Group, PasswordInput, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { request, type Page } from '../../platform/console/src/api.ts';
import { DataTable } from '../../platform/console/src/components/DataTable.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { MeetingsNav } from './shared.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { confirmCertificate, untrustedCertificate, type CertificateView } from '../../platform/console/src/components/CertificateDialog.tsx';

// #17: room endpoints (Cisco CE / RoomOS codecs) and the One Button to Push setting, with Cisco's
// terms shown where it is turned on.

type Row = Record<string, any>;
const P = '/api/v1/meetings';
/** Where a codec shows its own certificate, for the operator to compare fingerprints. */
const codecCertificateHint = <>the codec's web interface: <i>Security › Certificates</i> (its HTTPS server certificate)</>;

export function EndpointsPage() {
  const [rows, setRows] = useState<Row[]>([]);
  const [setting, setSetting] = useState<Row | null>(null);
  const [form, setForm] = useState({ address: '', username: 'admin', password: '', name: '' });
  const [busy, setBusy] = useState(false);

  const load = useCallback(async (signal?: AbortSignal) => {
    try {
      const [list, obtp] = await Promise.all([request<Page<Row>>(`${P}/endpoints`, { query: { limit: 500 }, signal }), request<Row>(`${P}/settings/obtp`, { signal })]);
      setRows(list.items);
      setSetting(obtp);
    } catch (error) {
      if (!signal?.aborted) notifyError(error, 'The endpoints could not be read');
    }
  }, []);
  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    const timer = setInterval(() => void load(), 10_000);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [load]);

  async function register() {
    setBusy(true);
    try {
      const body = { address: form.address, username: form.username, password: form.password, ...(form.name ? { name: form.name } : {}) };
      let added: Row;
      try {
        added = await request<Row>(`${P}/endpoints`, { method: 'POST', body });
      } catch (error) {
        // Trust on first use (#17, as bridges): the codec's certificate is shown; trusting it repeats the registration with its fingerprint.
        const certificate = untrustedCertificate(error);
        if (!certificate) throw error;
        if (!(await confirmCertificate(certificate, 'Trust this codec\'s certificate?', `${form.address} presents a certificate no trusted CA vouches for.`, 'Trust and register', codecCertificateHint))) return;
        added = await request<Row>(`${P}/endpoints`, { method: 'POST', body: { ...body, trustFingerprint: certificate.fingerprint } });
      }
      notifySuccess(`${added.name} registered (${added.productId ?? 'codec'}, ${added.softwareVersion ?? 'unknown software'}).`);
      setForm({ ...form, address: '', password: '', name: '' });
      await load();
    } catch (error) {
      notifyError(error, 'The endpoint was not registered');
    } finally {
      setBusy(false);
    }
  }

  async function toggle(enabled: boolean) {
    if (enabled && !(await confirmAction({ title: 'Turn on One Button to Push?', message: setting?.notice ?? '', confirmLabel: 'Turn on' }))) return;
    try {
      setSetting(await request<Row>(`${P}/settings/obtp`, { method: 'PUT', body: { enabled } }));
      notifySuccess(enabled ? 'One Button to Push is on: room panels get their bookings.' : 'One Button to Push is off.');
    } catch (error) {
      notifyError(error, 'The setting was not changed');
    }
  }

  return (
    <Stack>
      <PageHeader title="Room endpoints" />
      <MeetingsNav />
      <Stack gap="xs">
        <Title order={3}>One Button to Push</Title>
        <Alert color="yellow" title="Cisco's terms">{setting?.notice}</Alert>
        <Switch label="Push bookings to room panels (Join button)" checked={!!setting?.enabled} onChange={(e) => void toggle(e.currentTarget.checked)} disabled={!setting} />
      </Stack>
      <Title order={3}>Register an endpoint</Title>
      <Group align="end">
        <TextInput label="Address" description="IP address or DNS name, optionally :port" value={form.address} onChange={(e) => setForm({ ...form, address: e.currentTarget.value })} />
        <TextInput label="Username" value={form.username} onChange={(e) => setForm({ ...form, username: e.currentTarget.value })} />
        <PasswordInput label="Password" value={form.password} onChange={(e) => setForm({ ...form, password: e.currentTarget.value })} />
        <TextInput label="Name" description="Optional" value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} />
        <Button onClick={() => void register()} loading={busy} disabled={!form.address || !form.password}>Register</Button>
      </Group>
      <DataTable
        caption="Room endpoints"
        rows={rows}
        rowKey={(r) => r.id}
        searchable
        columns={[
          { key: 'name', header: 'Name', render: (r) => r.name, sortValue: (r) => r.name, searchValue: (r) => r.name },
          { key: 'product', header: 'Product', render: (r) => r.productId ?? '—', searchValue: (r) => r.productId },
          { key: 'software', header: 'Software', render: (r) => r.softwareVersion ?? '—' },
          { key: 'sip', header: 'SIP URI', render: (r) => r.sipUri ?? '—', searchValue: (r) => r.sipUri },
          { key: 'status', header: 'Status', render: (r) => <Badge color={r.connectivity === 'reachable' ? 'green' : 'red'}>{r.connectivity}</Badge>, sortValue: (r) => r.connectivity },
          { key: 'pushed', header: 'Bookings pushed', render: (r) => (r.obtpPushedAt ? <Text size="sm">{r.obtpPushedCount} · <Time value={r.obtpPushedAt} /> · {r.obtpMethod}</Text> : '—') },
          { key: 'error', header: 'Last push error', render: (r) => r.obtpLastError ?? '' },
          {
            key: 'certificate', header: 'Certificate', render: (r) => (r.presentedCertificate
              ? <Button size="xs" variant="light" color="orange" onClick={async () => {
                const presented = r.presentedCertificate as CertificateView;
                if (!(await confirmCertificate(presented, `Accept the new certificate of ${r.name}?`, `${r.name} now presents another certificate than the one accepted (SHA-256 ${r.certificateFingerprint ?? 'none'}). Accept it only if the codec's certificate was renewed.`, 'Accept certificate', codecCertificateHint))) return;
                try {
                  await request(`${P}/endpoints/${encodeURIComponent(r.id)}/certificate/accept`, { method: 'POST', body: { fingerprint: presented.fingerprint } });
                  notifySuccess(`The new certificate of ${r.name} is pinned.`);
                  await load();
                } catch (error) {
                  notifyError(error, 'The certificate was not accepted');
                }
              }}>Changed: accept…</Button>
              : r.certificateTrust === 'ca' ? 'trusted by CA' : r.certificateTrust === 'pinned' ? 'pinned' : /^https:/.test(r.baseUrl) ? 'pinned on first contact' : 'plain HTTP'),
          },
          {
            key: 'remove', header: '', render: (r) => (
              <Button size="xs" variant="subtle" color="red" onClick={async () => {
                if (!(await confirmAction({ title: `Remove ${r.name}?`, message: 'It leaves the bookings that name it.', confirmLabel: 'Remove', danger: true }))) return;
                try {
                  await request(`${P}/endpoints/${encodeURIComponent(r.id)}`, { method: 'DELETE' });
                  await load();
                } catch (error) {
                  notifyError(error, 'The endpoint was not removed');
                }
              }}>Remove</Button>
            ),
          },
        ]}
        empty={{ title: 'No room endpoints', description: 'Register a Cisco room codec by its address and admin credentials.' }}
        footer={<TimeZoneNote />}
      />
    </Stack>
  );
}
