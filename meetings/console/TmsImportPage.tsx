import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Badge, Button, Checkbox, Group, PasswordInput, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { request, getJob } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { MeetingsNav } from './shared.tsx';
import { ProgressBar } from '../../platform/console/src/components/ProgressBar.tsx';
import { JobStateBadge } from '../../platform/console/src/components/JobState.tsx';
import { Time } from '../../platform/console/src/components/Time.tsx';

// #16 part 2: import from a running TMS — the dry-run report first (systems and how they map,
// every booking with what the import would do and why), then the import job with its progress.

type Row = Record<string, any>;
const P = '/api/v1/meetings/tms-import';
const actionColors: Record<string, string> = { create: 'green', update: 'blue', unchanged: 'gray', conflict: 'orange', unmappable: 'red', skipped: 'gray' };

export function TmsImportPage() {
  const [form, setForm] = useState({ url: '', username: '', password: '', mapping: '', insecureTls: false });
  const [mappingError, setMappingError] = useState<string | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);

  const body = () => {
    let mapping: unknown;
    if (form.mapping.trim()) {
      const parsed = JSON.parse(form.mapping);
      mapping = Array.isArray(parsed) ? parsed : parsed.systems;
    }
    return { url: form.url, username: form.username, password: form.password, insecureTls: form.insecureTls || undefined, mapping };
  };
  const withBody = (fn: (b: Row) => Promise<Row>) => () => {
    let b: Row;
    try {
      b = body();
      setMappingError(null);
    } catch (error) {
      setMappingError(`The mapping is not JSON: ${(error as Error).message}`);
      return Promise.reject(new Error('mapping'));
    }
    return fn(b);
  };
  const dryRun = useMutation({ mutationFn: withBody((b) => request<Row>(`${P}/dry-run`, { method: 'POST', body: b })) });
  const start = useMutation({ mutationFn: withBody((b) => request<{ jobId: string }>(P, { method: 'POST', body: b })), onSuccess: (r) => setJobId(String(r.jobId)) });
  const job = useQuery({
    queryKey: ['job', jobId],
    queryFn: ({ signal }) => getJob(jobId!, signal),
    enabled: !!jobId,
    refetchInterval: (q) => (q.state.data && ['completed', 'failed', 'cancelled'].includes(q.state.data.state) ? false : 1000),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setJobId(null);
    dryRun.mutate();
  };
  const report = dryRun.data;
  const set = (key: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [key]: e.currentTarget.value });

  return (
    <>
      <PageHeader title="Import from TMS" />
      <MeetingsNav />
      <form onSubmit={submit} aria-label="TMS">
        <Stack gap="sm" maw={640}>
          <TextInput label="TMS address" placeholder="https://tms.example.com" required value={form.url} onChange={set('url')} />
          <TextInput label="User" description="A TMS user with the Booking API (Basic authentication)" required value={form.username} onChange={set('username')} />
          <PasswordInput label="Password" description="Used for this import only; kept sealed while the job runs" required value={form.password} onChange={set('password')} />
          <Textarea label="System mapping (JSON, optional)" description='For systems not found by address: [{"system": "42", "bridge": "CMS Oslo"}, {"system": "Old MCU", "ignore": true}]' autosize minRows={2} value={form.mapping} onChange={set('mapping')} error={mappingError} />
          <Checkbox label="Accept a self-signed certificate" checked={form.insecureTls} onChange={(e) => setForm({ ...form, insecureTls: e.currentTarget.checked })} />
          <Group>
            <Button type="submit" loading={dryRun.isPending}>Dry run</Button>
            <Button variant="filled" color="green" disabled={!report || start.isPending || (!!jobId && job.data?.state !== 'completed' && job.data?.state !== 'failed')} onClick={() => start.mutate()}>Import</Button>
          </Group>
        </Stack>
      </form>
      {dryRun.error && (dryRun.error as Error).message !== 'mapping' && <ErrorNotice error={dryRun.error} title="The dry run failed" />}
      {start.error && <ErrorNotice error={start.error} title="The import did not start" />}
      {jobId && job.data && (
        <section aria-label="Import job">
          <Group mt="md">
            <JobStateBadge state={job.data.state} />
            <ProgressBar percent={job.data.progressPercent} label="Import progress" state={job.data.state} />
            <Text size="sm">{job.data.progressMessage ?? ''}</Text>
            <Link to={`/jobs/${jobId}`}>Job details</Link>
          </Group>
          {job.data.state === 'completed' && (
            <Text mt="xs" aria-label="Import outcome">
              {Object.entries((job.data.result as Row)?.outcomes ?? {}).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ') || 'Nothing to import.'}
            </Text>
          )}
        </section>
      )}
      {report && (
        <section aria-label="Dry-run report">
          <Title order={3} mt="lg">Systems</Title>
          <Table striped aria-label="Systems">
            <Table.Thead><Table.Tr><Table.Th>System</Table.Th><Table.Th>Address</Table.Th><Table.Th>Mapped as</Table.Th><Table.Th>By / why not</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {report.systems.map((s: Row) => (
                <Table.Tr key={s.systemId}>
                  <Table.Td>{s.name} ({s.systemId})</Table.Td>
                  <Table.Td>{s.address}</Table.Td>
                  <Table.Td>{s.mappedAs === 'bridge' ? `Bridge ${s.bridgeName}` : s.mappedAs === 'dial-out' ? `Dial-out ${s.dialOut}` : s.mappedAs === 'ignored' ? 'Ignored' : <Badge color="red" variant="light">Unmappable</Badge>}</Table.Td>
                  <Table.Td>{s.reason ?? s.by ?? ''}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Title order={3} mt="lg">Bookings</Title>
          <Text size="sm">{Object.entries(report.totals).map(([k, n]) => `${n} ${k}`).join(', ')}</Text>
          <Table striped aria-label="Bookings">
            <Table.Thead><Table.Tr><Table.Th>Action</Table.Th><Table.Th>Title</Table.Th><Table.Th>Start</Table.Th><Table.Th>Reason</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {report.items.map((i: Row) => (
                <Table.Tr key={`${i.conferenceId}`}>
                  <Table.Td><Badge color={actionColors[i.action] ?? 'gray'} variant="light">{i.action}</Badge></Table.Td>
                  <Table.Td>{i.title}{i.series ? ' (series)' : ''}</Table.Td>
                  <Table.Td><Time value={i.start ? i.start.replace(' ', 'T') : null} /></Table.Td>
                  <Table.Td>{i.reason ?? ''}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </section>
      )}
    </>
  );
}
