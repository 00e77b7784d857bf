import { useState } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Anchor, Button, Checkbox, Group, Modal, NativeSelect, PasswordInput, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { ApiError, request } from '../../platform/console/src/api.ts';
import { confirmCertificate, untrustedCertificate } from '../../platform/console/src/components/CertificateDialog.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { LiveJobStatus } from './parts.tsx';
import { base, clusterTypeLabel, licenseModes, listClusters, listVirtualAccounts, publisherCertificateHint, useRefreshLicensing, type Cluster, type SmartAccount, type Started, type VirtualAccount } from './licensing-api.ts';

// The area's forms: add or change a smart account, add a UC cluster, assign clusters to a virtual
// account. Each checks what it can before sending; the API's refusals come back under their fields.

const DEFAULT_AUTH_GATEWAY = 'https://cloudsso.cisco.com/as/token.oauth2';
const DEFAULT_CSSM_SERVER = 'https://swapi.cisco.com/services/api/smart-accounts-and-licensing';
const HTTP_URL = /^https?:\/\/[^\s/]+/i;
const HOST = /^[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:]+\]?$/;

const portRule = (value: string) => (/^\d+$/.test(value.trim()) && Number(value) >= 1 && Number(value) <= 65535 ? null : 'Enter a port number from 1 to 65535.');
const hostRule = (value: string) => (!value.trim() ? 'Enter the host name or IP address.' : HOST.test(value.trim()) ? null : 'Enter a host name such as proxy.example.com or an IP address, without spaces or a scheme.');
const urlRule = (value: string) => (HTTP_URL.test(value.trim()) ? null : 'Enter an address starting with https:// (or http://).');

/** A duplicate or a refused change is about the whole form; a 409 on the domain belongs under it. */
function serverErrors(error: unknown, fieldNames?: Record<string, string>): Record<string, string> {
  const out = fieldErrors(error, fieldNames);
  if (error instanceof ApiError && error.code === 'ALREADY_EXISTS' && fieldNames?.['@conflict']) out[fieldNames['@conflict']] = error.message;
  return out;
}

export function SmartAccountForm({ existing, opened, onClose }: { existing?: SmartAccount; opened: boolean; onClose: () => void }) {
  const refresh = useRefreshLicensing();
  const t = existing?.transport;
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      domain: existing?.domain ?? '',
      name: existing?.name ?? '',
      clientId: existing?.clientId ?? '',
      clientSecret: '',
      mode: t?.mode ?? 'direct',
      proxyHost: t?.proxyHost ?? '',
      proxyPort: t?.proxyPort ? String(t.proxyPort) : '',
      proxyUsername: t?.proxyUsername ?? '',
      proxyPassword: '',
      satelliteHost: t?.satelliteHost ?? '',
      satellitePort: t?.satellitePort ? String(t.satellitePort) : '8443',
      authGatewayUrl: existing?.authGatewayUrl ?? DEFAULT_AUTH_GATEWAY,
      cssmServerUrl: existing?.cssmServerUrl ?? DEFAULT_CSSM_SERVER,
    },
    validate: {
      domain: (v) => (v.trim().length >= 3 ? null : "Enter the smart account's domain, such as example.com."),
      clientId: (v) => (v.trim() ? null : 'Enter the client ID of the API client registered for this smart account.'),
      clientSecret: (v) => (existing || v ? null : 'Enter the client secret that goes with the client ID.'),
      proxyHost: (v, values) => (values.mode === 'proxy' ? hostRule(v) : null),
      proxyPort: (v, values) => (values.mode === 'proxy' ? portRule(v) : null),
      proxyPassword: (v, values) => (values.mode === 'proxy' && values.proxyUsername && !v && !t?.hasProxyPassword ? 'Enter the password for this proxy user.' : null),
      satelliteHost: (v, values) => (values.mode === 'satellite' ? hostRule(v) : null),
      satellitePort: (v, values) => (values.mode === 'satellite' ? portRule(v) : null),
      authGatewayUrl: (v, values) => (values.mode === 'satellite' ? null : urlRule(v)),
      cssmServerUrl: (v, values) => (values.mode === 'satellite' ? null : urlRule(v)),
    },
  });
  const v = form.values;
  const save = useMutation({
    mutationFn: (values: typeof form.values) => {
      const transport =
        values.mode === 'proxy'
          ? { mode: 'proxy', host: values.proxyHost.trim(), port: Number(values.proxyPort), ...(values.proxyUsername ? { username: values.proxyUsername.trim(), ...(values.proxyPassword ? { password: values.proxyPassword } : {}) } : {}) }
          : values.mode === 'satellite'
            ? { mode: 'satellite', host: values.satelliteHost.trim(), port: Number(values.satellitePort) }
            : { mode: 'direct' };
      const body: Record<string, unknown> = { domain: values.domain.trim(), clientId: values.clientId.trim(), transport };
      if (values.clientSecret) body.clientSecret = values.clientSecret;
      if (values.name.trim()) body.name = values.name.trim();
      if (values.mode !== 'satellite') Object.assign(body, { authGatewayUrl: values.authGatewayUrl.trim(), cssmServerUrl: values.cssmServerUrl.trim() });
      return existing ? request<unknown>(`${base}/smart-accounts/${existing.id}`, { method: 'PATCH', body }) : request<unknown>(`${base}/smart-accounts`, { method: 'POST', body });
    },
    onSuccess: () => {
      notifySuccess(existing ? 'The smart account was saved.' : 'Switchboard is reading its virtual accounts from CSSM; the sync shows its progress in the list.', existing ? 'Saved' : 'Smart account added');
      void refresh();
      if (!existing) form.reset();
      onClose();
    },
    onError: (error) => {
      const hostField = form.values.mode === 'satellite' ? 'satelliteHost' : 'proxyHost';
      const portField = form.values.mode === 'satellite' ? 'satellitePort' : 'proxyPort';
      form.setErrors(serverErrors(error, { 'transport.host': hostField, 'transport.port': portField, 'transport.username': 'proxyUsername', 'transport.password': 'proxyPassword', '@conflict': 'domain' }));
    },
  });
  const title = existing ? `Edit ${existing.name ?? existing.domain}` : 'Add smart account';
  return (
    <Modal opened={opened} onClose={onClose} title={title} size="lg">
      <form onSubmit={form.onSubmit((values) => save.mutate(values))} aria-label={title} noValidate>
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label="Domain name" withAsterisk description="As in Cisco Software Central, e.g. example.com" {...form.getInputProps('domain')} />
            <TextInput label="Smart account name (optional)" {...form.getInputProps('name')} />
            <TextInput label="Client ID" withAsterisk autoComplete="off" {...form.getInputProps('clientId')} />
            <PasswordInput label="Client secret" withAsterisk={!existing} autoComplete="off" description={existing?.hasClientSecret ? 'Stored. Leave empty to keep it.' : 'Stored encrypted; never shown again.'} {...form.getInputProps('clientSecret')} />
          </SimpleGrid>
          <NativeSelect
            label="Transport"
            description="How Switchboard and the clusters reach CSSM."
            data={[
              { value: 'direct', label: 'Direct' },
              { value: 'proxy', label: 'HTTP/HTTPS proxy' },
              { value: 'satellite', label: 'Satellite (SSM On-Prem)' },
            ]}
            {...form.getInputProps('mode')}
          />
          {v.mode === 'proxy' && (
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
              <TextInput label="Proxy host" {...form.getInputProps('proxyHost')} />
              <TextInput label="Proxy port" inputMode="numeric" {...form.getInputProps('proxyPort')} />
              <TextInput label="Proxy username (optional)" autoComplete="off" {...form.getInputProps('proxyUsername')} />
              <PasswordInput label="Proxy password" autoComplete="off" description={t?.hasProxyPassword ? 'Stored. Leave empty to keep it.' : undefined} {...form.getInputProps('proxyPassword')} />
            </SimpleGrid>
          )}
          {v.mode === 'satellite' && (
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
              <TextInput label="Satellite host" {...form.getInputProps('satelliteHost')} />
              <TextInput label="Satellite port" inputMode="numeric" {...form.getInputProps('satellitePort')} />
            </SimpleGrid>
          )}
          {v.mode !== 'satellite' && (
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
              <TextInput label="Authentication gateway" {...form.getInputProps('authGatewayUrl')} />
              <TextInput label="CSSM server" {...form.getInputProps('cssmServerUrl')} />
            </SimpleGrid>
          )}
          {!existing && <Text size="xs" c="dimmed">Adding the smart account reads all its virtual accounts from CSSM, which can take a while for thousands of them. Virtual accounts synced from a satellite are left out.</Text>}
          <ErrorNotice error={save.error} title="Could not save the smart account" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={save.isPending}>{existing ? 'Save' : 'Add smart account'}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function ClusterForm({ opened, onClose, onAdded }: { opened: boolean; onClose: () => void; onAdded?: (cluster: Cluster) => void }) {
  const refresh = useRefreshLicensing();
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: '', type: 'CUCM', version: '', publisherUrl: '', adminUsername: '', adminPassword: '', platformUsername: '', platformPassword: '' },
    validate: {
      name: (v) => (v.trim() ? null : 'Enter the cluster name, as it should appear in the lists.'),
      version: (v) => (/^\d+(\.\d+)*/.test(v.trim()) ? null : 'Enter the version, such as 14.0 (12.5 or later can be assigned).'),
      publisherUrl: (v) => (v.trim() ? urlRule(v) : 'Enter the publisher address, such as https://cucm-pub.example.com:8443.'),
      adminUsername: (v) => (v.trim() ? null : 'Enter the application administrator (AXL) user.'),
      adminPassword: (v) => (v ? null : "Enter the administrator's password."),
      platformUsername: (v) => (v.trim() ? null : 'Enter the platform (OS administration) user.'),
      platformPassword: (v) => (v ? null : "Enter the platform user's password."),
    },
  });
  const add = useMutation({
    mutationFn: async (values: typeof form.values) => {
      const body = { ...values, name: values.name.trim(), version: values.version.trim(), publisherUrl: values.publisherUrl.trim(), adminUsername: values.adminUsername.trim(), platformUsername: values.platformUsername.trim() };
      try {
        return await request<Cluster>(`${base}/clusters`, { method: 'POST', body });
      } catch (error) {
        // Trust on first use (L4): the publisher's certificate is shown; trusting it repeats the add with its fingerprint.
        const certificate = untrustedCertificate(error);
        if (!certificate) throw error;
        if (!(await confirmCertificate(certificate, 'Trust this publisher\'s certificate?', `${body.publisherUrl} presents a certificate no trusted CA vouches for.`, 'Trust and add', publisherCertificateHint))) throw error;
        return request<Cluster>(`${base}/clusters`, { method: 'POST', body: { ...body, trustFingerprint: certificate.fingerprint } });
      }
    },
    onSuccess: (cluster) => {
      notifySuccess(`${cluster.name} is in the inventory. Assign it to a virtual account to license it.`, 'Cluster added');
      void refresh();
      form.reset();
      onClose();
      onAdded?.(cluster);
    },
    onError: (error) => form.setErrors(serverErrors(error, { '@conflict': 'name' })),
  });
  return (
    <Modal opened={opened} onClose={onClose} title="Add UC cluster" size="lg">
      <form onSubmit={form.onSubmit((values) => add.mutate(values))} aria-label="Add UC cluster" noValidate>
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label="Cluster name" withAsterisk {...form.getInputProps('name')} />
            <NativeSelect label="Type" data={[{ value: 'CUCM', label: clusterTypeLabel('CUCM') }, { value: 'CUC', label: clusterTypeLabel('CUC') }]} {...form.getInputProps('type')} />
            <TextInput label="Version" withAsterisk placeholder="14.0" {...form.getInputProps('version')} />
            <TextInput label="Publisher address" withAsterisk placeholder="https://cucm-pub.example.com:8443" {...form.getInputProps('publisherUrl')} />
            <TextInput label="Administrator user" withAsterisk autoComplete="off" {...form.getInputProps('adminUsername')} />
            <PasswordInput label="Administrator password" withAsterisk autoComplete="off" {...form.getInputProps('adminPassword')} />
            <TextInput label="Platform user" withAsterisk autoComplete="off" {...form.getInputProps('platformUsername')} />
            <PasswordInput label="Platform password" withAsterisk autoComplete="off" {...form.getInputProps('platformPassword')} />
          </SimpleGrid>
          <Text size="xs" c="dimmed">Passwords are stored encrypted and never shown again.</Text>
          <ErrorNotice error={add.error} title="Could not add the cluster" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={add.isPending}>Add cluster</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

const restartWarning = 'Assigning restarts the publisher node automatically when its license mode changes.';

/** The jobs an assignment started, each linked to its steps. */
export function StartedJobs({ jobs }: { jobs: Started[] }) {
  return (
    <Stack gap={2}>
      {jobs.map((j) => (
        <Text size="sm" key={j.jobId}>
          <Anchor component={Link} to={`/licensing/jobs/${j.jobId}`}>{j.description}</Anchor> <LiveJobStatus id={j.jobId} />
          {j.warning ? ` — ${j.warning}` : ''}
        </Text>
      ))}
    </Stack>
  );
}

/** Virtual account → clusters (HCM-F's Assign on Edit Virtual Account). */
export function AssignClustersForm({ va, opened, onClose, onStarted }: { va: VirtualAccount; opened: boolean; onClose: () => void; onStarted: (jobs: Started[]) => void }) {
  const refresh = useRefreshLicensing();
  const free = useQuery({ queryKey: ['licensing', 'clusters', 'unassigned'], queryFn: ({ signal }) => listClusters({ assigned: false, limit: 500 }, signal), enabled: opened });
  const form = useForm({ mode: 'controlled', initialValues: { clusterIds: [] as string[] }, validate: { clusterIds: (v) => (v.length ? null : 'Choose at least one cluster to assign.') } });
  const assign = useMutation({
    mutationFn: (values: typeof form.values) => request<{ jobs: Started[] }>(`${base}/virtual-accounts/${va.id}/assign`, { method: 'POST', body: values }),
    onSuccess: (r) => {
      notifySuccess(r.jobs.map((j) => j.description).join('; '), `Assigning to ${va.name}`);
      onStarted(r.jobs);
      void refresh();
      form.reset();
      onClose();
    },
    onError: (error) => form.setErrors(fieldErrors(error, { clusterIds: 'clusterIds' })),
  });
  return (
    <Modal opened={opened} onClose={onClose} title={`Assign clusters to ${va.name}`} size="lg">
      <form onSubmit={form.onSubmit((values) => assign.mutate(values))} aria-label={`Assign clusters to ${va.name}`} noValidate>
        <Stack gap="sm">
          <Alert color="yellow" variant="light" role="note">{restartWarning} This one sets license mode {va.licenseMode}.</Alert>
          <ErrorNotice error={free.error} />
          {free.data?.items.length === 0 && <Text size="sm" c="dimmed">Every cluster is assigned already. Add one under <Anchor component={Link} to="/licensing/clusters">Clusters</Anchor>.</Text>}
          <Checkbox.Group label="Unassigned clusters" {...form.getInputProps('clusterIds')}>
            <Stack gap={6} mt={6}>
              {free.data?.items.map((c) => <Checkbox key={c.id} value={c.id} label={`${c.name} (${clusterTypeLabel(c.type)} ${c.version})`} />)}
            </Stack>
          </Checkbox.Group>
          <ErrorNotice error={assign.error} title="Could not start the assignment" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={assign.isPending}>Assign</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

const vaLabel = (va: VirtualAccount) => `${va.name} · ${va.licenseMode ?? 'no license mode'} (${va.smartAccountName ?? va.domain})`;

/**
 * Cluster → virtual account, from the cluster's page. A virtual account without a license mode gets
 * one here first (HCM-F asks for it on the virtual account; a newcomer should not have to go there).
 */
export function AssignToVirtualAccountForm({ cluster, opened, onClose, onStarted }: { cluster: Cluster; opened: boolean; onClose: () => void; onStarted: (job: Started) => void }) {
  const refresh = useRefreshLicensing();
  const [search, setSearch] = useState('');
  const [picked, setPicked] = useState<VirtualAccount | null>(null);
  // Once a choice is made the box shows its label: that is not a name to search for.
  const name = picked && search === vaLabel(picked) ? '' : search;
  const vas = useQuery({ queryKey: ['licensing', 'va-choice', name], queryFn: ({ signal }) => listVirtualAccounts({ name: name || undefined, limit: 50 }, signal), enabled: opened, placeholderData: keepPreviousData });
  const form = useForm({
    mode: 'controlled',
    initialValues: { virtualAccountId: '', licenseMode: '' },
    validate: {
      virtualAccountId: (v) => (v ? null : 'Choose the virtual account whose licences the cluster should use.'),
      licenseMode: (v) => (picked && !picked.licenseMode && !v ? `${picked.name} has no license mode yet: choose the one its clusters use.` : null),
    },
  });
  const assign = useMutation({
    mutationFn: async (values: typeof form.values) => {
      if (picked && !picked.licenseMode) await request(`${base}/virtual-accounts/${values.virtualAccountId}`, { method: 'PATCH', body: { licenseMode: values.licenseMode } });
      const r = await request<{ jobs: Started[] }>(`${base}/virtual-accounts/${values.virtualAccountId}/assign`, { method: 'POST', body: { clusterIds: [cluster.id] } });
      return r.jobs[0]!;
    },
    onSuccess: (job) => {
      notifySuccess(job.warning ?? job.description, job.description);
      onStarted(job);
      void refresh();
      onClose();
    },
    onError: (error) => form.setErrors(fieldErrors(error, { licenseMode: 'licenseMode' })),
  });
  const options = (vas.data?.items ?? []).map((va) => ({ value: va.id, label: vaLabel(va) }));
  if (picked && !options.some((o) => o.value === picked.id)) options.unshift({ value: picked.id, label: vaLabel(picked) });
  return (
    <Modal opened={opened} onClose={onClose} title={`Assign ${cluster.name} to a virtual account`} size="lg">
      <form onSubmit={form.onSubmit((values) => assign.mutate(values))} aria-label={`Assign ${cluster.name}`} noValidate>
        <Stack gap="sm">
          <Alert color="yellow" variant="light" role="note">{restartWarning}</Alert>
          <Select
            label="Virtual account"
            withAsterisk
            searchable
            placeholder="Type part of its name"
            data={options}
            searchValue={search}
            onSearchChange={setSearch}
            filter={({ options: all }) => all}
            nothingFoundMessage={vas.data ? 'No virtual account has that in its name. Add a smart account and sync it first.' : 'Loading…'}
            value={form.values.virtualAccountId || null}
            error={form.errors.virtualAccountId}
            onChange={(id) => {
              form.setFieldValue('virtualAccountId', id ?? '');
              setPicked(vas.data?.items.find((va) => va.id === id) ?? (picked?.id === id ? picked : null));
            }}
          />
          {picked && !picked.licenseMode && (
            <NativeSelect label={`License mode of ${picked.name}`} description="Set once per virtual account; it cannot change while clusters are assigned." data={[{ value: '', label: 'Choose…' }, ...licenseModes.map((m) => ({ value: m, label: m }))]} {...form.getInputProps('licenseMode')} />
          )}
          <ErrorNotice error={assign.error} title="Could not start the assignment" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={assign.isPending}>Assign</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
