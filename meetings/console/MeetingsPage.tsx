import { useState, type FormEvent, type ReactNode } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, NavLink, Route, Routes, useParams } from 'react-router';
import { Code, Stack, Text } from '@mantine/core';
import { modals } from '@mantine/modals';
import { ApiError } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, TimeZoneNote, browserTimeZone } from '../../platform/console/src/components/Time.tsx';
import { meetingsApi as api, type Row } from './meetings-api.ts';

// Meetings (M1–M15): Bridges (list, add, detail with tickets, status, settings, clustering, trace),
// Calendar (week per bridge), Booking form, Ongoing meetings with live control.
export function MeetingsPage() {
  return (
    <>
      <PageHeader title="Meetings" />
      {/* Absolute: inside this splat route a relative "" resolves to the current page, so from a
          bridge's page the Bridges tab led back to that bridge. */}
      <nav className="filters" aria-label="Meetings">
        {([['/meetings', 'Bridges'], ['/meetings/calendar', 'Calendar'], ['/meetings/book', 'Book'], ['/meetings/ongoing', 'Ongoing']] as const).map(([to, label]) => (
          <NavLink key={to} to={to} end className={({ isActive }) => `button button-small${isActive ? ' button-primary' : ''}`}>{label}</NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<BridgesView />} />
        <Route path="bridges/:id" element={<BridgeView />} />
        <Route path="calendar" element={<CalendarView />} />
        <Route path="book" element={<BookingForm />} />
        <Route path="ongoing" element={<OngoingView />} />
        <Route path="meetings/:id" element={<MeetingView />} />
      </Routes>
    </>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

function useForm<T extends Row>(initial: T) {
  const [values, setValues] = useState<T>(initial);
  const bind = (key: keyof T) => ({ value: String(values[key] ?? ''), onChange: (e: { target: { value: string } }) => setValues({ ...values, [key]: e.target.value }) });
  return { values, bind, setValues };
}

/**
 * M1: a certificate no trusted CA vouches for is shown — subject, issuer, validity, SHA-256 — for the
 * operator to compare with the server's own before trusting (pinning) it.
 */
function confirmCertificate(certificate: Row, title: string, intro: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    modals.openConfirmModal({
      title,
      children: (
        <Stack gap="xs" aria-label="Certificate">
          <Text size="sm">{intro}</Text>
          <Text size="sm"><b>Subject:</b> {certificate.subject}</Text>
          <Text size="sm"><b>Issuer:</b> {certificate.issuer}</Text>
          <Text size="sm"><b>Valid:</b> <Time value={certificate.validFrom} /> to <Time value={certificate.validTo} /></Text>
          <Text size="sm"><b>SHA-256 fingerprint:</b></Text>
          <Code block data-testid="certificate-fingerprint">{certificate.fingerprint}</Code>
          <Text size="xs" c="dimmed">Compare it with the certificate the server itself shows (CMS: the Web Admin's certificate, or <code>pki inspect</code> on its MMP). Once trusted, Switchboard talks to this server only while it presents exactly this certificate.</Text>
        </Stack>
      ),
      labels: { confirm: confirmLabel, cancel: 'Cancel' },
      onConfirm: () => resolve(true),
      onCancel: () => resolve(false),
      onClose: () => resolve(false),
    });
  });
}

const untrustedCertificate = (error: unknown): Row | undefined =>
  error instanceof ApiError && error.code === 'CERTIFICATE_NOT_TRUSTED' ? (error.details as { certificate?: Row } | undefined)?.certificate : undefined;

function BridgesView() {
  const client = useQueryClient();
  const bridges = useQuery({ queryKey: ['meetings', 'bridges'], queryFn: ({ signal }) => api.bridges(signal), refetchInterval: 5000 });
  const form = useForm({ address: '', username: '', password: '', ipZone: '', timeZone: browserTimeZone });
  const add = useMutation({
    mutationFn: async () => {
      const body = { ...form.values, ipZone: form.values.ipZone || undefined, tls: !form.values.address.startsWith('http://') };
      try {
        return await api.addBridge(body);
      } catch (error) {
        // Trust on first use: the bridge's certificate is shown; trusting it repeats the add with its fingerprint.
        const certificate = untrustedCertificate(error);
        // A fingerprint already confirmed and refused (the certificate changed meanwhile) is shown as the error.
        if (!certificate || (error as { details: Row }).details.confirmedFingerprint) throw error;
        const trusted = await confirmCertificate(certificate, 'Trust this bridge\'s certificate?', `${form.values.address} presents a certificate no trusted CA vouches for.`, 'Trust and add');
        if (!trusted) throw error;
        return api.addBridge({ ...body, trustFingerprint: certificate.fingerprint });
      }
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ['meetings', 'bridges'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <>
      <table className="table">
        <thead><tr><th>System name</th><th>Address</th><th>Status</th><th>Connectivity</th><th>Pool</th><th>Version</th></tr></thead>
        <tbody>
          {(bridges.data?.items ?? []).map((b) => (
            <tr key={b.id}>
              <td><Link to={`/meetings/bridges/${b.id}`}>{b.name || `No Name (${b.address})`}</Link></td>
              <td>{b.address}</td><td>{b.status}</td><td>{b.connectivity === 'reachable' ? 'Reachable on LAN' : b.connectivity}</td><td>{b.poolSize} ({b.poolState})</td><td>{b.softwareVersion}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {bridges.error && <ErrorNotice error={bridges.error} />}
      <form className="card form-card" onSubmit={submit} aria-label="Add bridge">
        <h2>Add Cisco Meeting Server</h2>
        <p className="hint">IP addresses or DNS names, comma-separated; host:port allowed (10.0.0.1:445). Username and password are mandatory.</p>
        <div className="form-grid">
          <Field label="Addresses"><input required {...form.bind('address')} /></Field>
          <Field label="Username"><input required {...form.bind('username')} /></Field>
          <Field label="Password"><input required type="password" {...form.bind('password')} /></Field>
          <Field label="IP zone"><input {...form.bind('ipZone')} /></Field>
          <Field label="Time zone"><input {...form.bind('timeZone')} /></Field>
        </div>
        <button className="button button-primary" disabled={add.isPending}>Add</button>
        {add.error && <ErrorNotice error={add.error} />}
        {add.data && (
          <table className="table" aria-label="Added systems"><thead><tr><th>Network address</th><th>System name</th><th>System type</th><th>Description</th></tr></thead>
            <tbody>{add.data.items.map((r) => <tr key={r.address}><td>{r.address}</td><td>{r.systemName}</td><td>{r.systemType}</td><td>{r.description}{r.error ? ` — ${r.error.message}` : ''}</td></tr>)}</tbody></table>
        )}
      </form>
      <RoutingPreference bridges={bridges.data?.items ?? []} />
    </>
  );
}

/** M14 "prefer CMS": the bridges automatic routing tries first, in order (see README, Decisions). */
function RoutingPreference({ bridges }: { bridges: Row[] }) {
  const client = useQueryClient();
  const saved = useQuery({ queryKey: ['meetings', 'routing'], queryFn: ({ signal }) => api.routing(signal) });
  const [order, setOrder] = useState<string[] | null>(null);
  const [pick, setPick] = useState('');
  const current = order ?? (saved.data?.preferredBridgeIds as string[] | undefined) ?? [];
  const save = useMutation({ mutationFn: () => api.setRouting(current), onSuccess: (data) => { client.setQueryData(['meetings', 'routing'], data); setOrder(null); } });
  const label = (id: string) => {
    const b = bridges.find((x) => x.id === id);
    return b ? b.name || `No Name (${b.address})` : id;
  };
  const move = (index: number, by: number) => {
    const next = [...current];
    [next[index], next[index + by]] = [next[index + by], next[index]];
    setOrder(next);
  };
  const others = bridges.filter((b) => !current.includes(b.id));
  return (
    <section className="card" aria-label="Routing preference">
      <h2>Routing preference</h2>
      <p className="hint">Bookings without a chosen bridge go to a bridge in the booking's zone, then to these bridges in this order, then by free slots and load. A full bridge is passed over. Every bridge here is a Cisco Meeting Server, so "prefer CMS" is this order.</p>
      {current.length === 0 ? <p>No preferred bridges: routing by zone, free slots and load.</p> : (
        <ol>{current.map((id, i) => (
          <li key={id}>{label(id)}{' '}
            <button type="button" className="button" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move ${label(id)} up`}>↑</button>{' '}
            <button type="button" className="button" disabled={i === current.length - 1} onClick={() => move(i, 1)} aria-label={`Move ${label(id)} down`}>↓</button>{' '}
            <button type="button" className="button" onClick={() => setOrder(current.filter((x) => x !== id))} aria-label={`Remove ${label(id)}`}>Remove</button>
          </li>
        ))}</ol>
      )}
      <div className="filters">
        <select aria-label="Bridge to prefer" value={pick} onChange={(e) => setPick(e.target.value)}><option value="">Choose a bridge…</option>{others.map((b) => <option key={b.id} value={b.id}>{label(b.id)}</option>)}</select>
        <button type="button" className="button" disabled={!pick} onClick={() => { setOrder([...current, pick]); setPick(''); }}>Prefer</button>
        <button type="button" className="button button-primary" disabled={order === null || save.isPending} onClick={() => save.mutate()}>Save order</button>
      </div>
      {save.error && <ErrorNotice error={save.error} />}
      {save.isSuccess && order === null && <p className="notice notice-success" role="status">Routing preference saved.</p>}
    </section>
  );
}

function BridgeView() {
  const { id = '' } = useParams();
  const client = useQueryClient();
  const bridge = useQuery({ queryKey: ['meetings', 'bridge', id], queryFn: ({ signal }) => api.bridge(id, signal), refetchInterval: 3000 });
  const [traceFilter, setTraceFilter] = useState({ method: '', path: '', status: '' });
  const trace = useQuery({ queryKey: ['meetings', 'trace', id, traceFilter], queryFn: ({ signal }) => api.trace(id, { ...traceFilter, limit: 50 }, signal) });
  const b = bridge.data;
  const settings = useForm({ name: '', sipDomain: '', numericIdBase: '', numericIdQuantity: '', alternateAddress: '', alternateUsername: '', alternatePassword: '' });
  const save = useMutation({
    mutationFn: () => api.updateBridge(id, Object.fromEntries(Object.entries(settings.values).filter(([, v]) => v !== '').map(([k, v]) => [k, k.startsWith('numeric') ? Number(v) : v]))),
    onSuccess: () => client.invalidateQueries({ queryKey: ['meetings', 'bridge', id] }),
  });
  if (bridge.error) return <ErrorNotice error={bridge.error} />;
  if (!b) return <p>Loading…</p>;
  return (
    <>
      <h2>{b.name || `No Name (${b.address})`}</h2>
      <p>{b.systemType} · Status: {b.status} · Address: {b.address} · Connectivity: {b.connectivity === 'reachable' ? 'Reachable on LAN' : b.connectivity}</p>
      <section className="card"><h3>Tickets</h3>
        {b.tickets.length === 0 ? <p>✓ System has no open or acknowledged tickets</p> : <ul>{b.tickets.map((t: Row) => <li key={t.id}>#{t.id} - {t.title} (<Time value={t.openedAt} />)<br />{t.detail}</li>)}</ul>}
      </section>
      <section className="card"><h3>System status</h3>
        <table className="table"><tbody>
          <tr><th>Call Bridge uptime</th><td>{b.uptimeSeconds ?? '—'} s</td><th>Audio bit rate out / in</th><td>{b.audioBitRateOutgoing ?? 0} / {b.audioBitRateIncoming ?? 0}</td></tr>
          <tr><th>Call legs active / max / completed</th><td>{b.callLegsActive ?? 0} / {b.callLegsMaxActive ?? 0} / {b.callLegsCompleted ?? 0}</td><th>Video bit rate out / in</th><td>{b.videoBitRateOutgoing ?? 0} / {b.videoBitRateIncoming ?? 0}</td></tr>
          <tr><th>Software version</th><td>{b.softwareVersion}</td><th>This week's bookings</th><td>{b.weekBookings}</td></tr>
        </tbody></table>
      </section>
      <section className="card"><h3>Clustering</h3>
        <p className="hint">Nodes are reached at what the cluster advertises, with the scheme and port of the address this bridge was added by, unless you enter an address.</p>
        <table className="table"><thead><tr><th>System name</th><th>Reached at</th><th>Advertised</th><th>Primary</th><th>Healthy</th><th>CDRs</th><th>Certificate</th><th>Change address</th></tr></thead>
          <tbody>{b.nodes.map((n: Row) => <tr key={n.id}><td>{n.name}</td><td>{n.address}{n.addressOverride ? ' (entered)' : ''}</td><td>{n.advertisedAddress ?? '—'}</td><td>{n.primary ? '✓' : ''}</td><td>{n.healthy ? (n.lastError ? `yes — ${n.lastError}` : 'yes') : `no — ${n.lastError ?? ''}`}</td><td>{n.cdrReceiver ? 'receiving' : 'none'}</td><td><NodeCertificate bridgeId={id} node={n} /></td><td><NodeAddressForm bridgeId={id} node={n} /></td></tr>)}</tbody></table>
      </section>
      <form className="card form-card" onSubmit={(e) => { e.preventDefault(); save.mutate(); }} aria-label="Settings">
        <h3>Settings</h3>
        <p className="hint">Current: domain {b.sipDomain ?? '—'}, numeric ID base {b.numericIdBase ?? '—'}, quantity {b.numericIdQuantity ?? '—'}; pool {b.poolSize} ({b.poolState}).</p>
        <div className="form-grid">
          <Field label="Name"><input {...settings.bind('name')} placeholder={b.name} /></Field>
          <Field label="Domain"><input {...settings.bind('sipDomain')} /></Field>
          <Field label="Numeric ID base"><input inputMode="numeric" {...settings.bind('numericIdBase')} /></Field>
          <Field label="Numeric ID quantity"><input inputMode="numeric" {...settings.bind('numericIdQuantity')} /></Field>
          <Field label="Alternate address"><input {...settings.bind('alternateAddress')} placeholder={b.alternateAddress ?? 'host or host:port'} /></Field>
          <Field label="Alternate user"><input {...settings.bind('alternateUsername')} placeholder={b.alternateUsername ?? 'same as the bridge'} /></Field>
          <Field label="Alternate password"><input type="password" autoComplete="new-password" {...settings.bind('alternatePassword')} placeholder={b.alternatePasswordSet ? 'unchanged' : 'same as the bridge'} /></Field>
        </div>
        <button className="button button-primary" disabled={save.isPending}>Save</button>
        {save.error && <ErrorNotice error={save.error} />}
        {save.data?.poolSyncJobId && <p className="notice notice-success">Pool sync started: <Link to={`/jobs/${save.data.poolSyncJobId}`}>follow the job</Link>.</p>}
      </form>
      <section className="card"><h3>API trace</h3>
        <div className="filters">
          <select aria-label="Method" value={traceFilter.method} onChange={(e) => setTraceFilter({ ...traceFilter, method: e.target.value })}><option value="">Any method</option>{['GET', 'POST', 'PUT', 'DELETE'].map((m) => <option key={m}>{m}</option>)}</select>
          <input aria-label="Path contains" placeholder="path contains" value={traceFilter.path} onChange={(e) => setTraceFilter({ ...traceFilter, path: e.target.value })} />
          <input aria-label="Status" placeholder="status" value={traceFilter.status} onChange={(e) => setTraceFilter({ ...traceFilter, status: e.target.value })} />
        </div>
        {/* Bodies and locations are long unbroken strings: wrap them inside the card. */}
        <div className="table-wrap">
          <table className="table" aria-label="API trace"><thead><tr><th>Time</th><th>Node</th><th>Request</th><th>Body</th><th>Status</th><th>Size</th><th>Location</th></tr></thead>
            <tbody>{(trace.data?.items ?? []).map((e) => <tr key={e.id}><td><Time value={e.at} /></td><td>{e.node}</td><td style={{ overflowWrap: 'anywhere' }}>{e.method} {e.path}</td><td style={{ overflowWrap: 'anywhere', maxWidth: '28rem' }}><code>{e.requestBody}</code></td><td>{e.status ?? e.error}</td><td>{e.size}</td><td style={{ overflowWrap: 'anywhere', maxWidth: '16rem' }}>{e.location}</td></tr>)}</tbody></table>
        </div>
      </section>
    </>
  );
}

/** M4/M5: how Switchboard reaches one node; empty + "Use advertised" goes back to the derived address. */
/** A node's certificate (M1): how it is trusted, and a changed one to accept (M2 Certificate Changed). */
function NodeCertificate({ bridgeId, node }: { bridgeId: string; node: Row }) {
  const client = useQueryClient();
  const accept = useMutation({
    mutationFn: async () => {
      const presented = node.presentedCertificate as Row;
      const ok = await confirmCertificate(presented, `Accept the new certificate of ${node.name}?`, `${node.name} now presents another certificate than the one accepted (SHA-256 ${node.certificateFingerprint ?? 'none'}). Accept it only if the bridge's certificate was renewed.`, 'Accept certificate');
      if (!ok) return null;
      return api.acceptCertificate(bridgeId, node.id, presented.fingerprint);
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ['meetings', 'bridge', bridgeId] }),
  });
  if (!/^https:/.test(node.address)) return <span>plain HTTP</span>;
  const current = node.certificateTrust === 'ca' ? 'trusted by CA' : node.certificateTrust === 'pinned' ? 'pinned' : 'pinned on first contact';
  return (
    <div aria-label={`Certificate of ${node.name}`}>
      <span>{current}</span>
      {node.certificateFingerprint && <div><code className="fingerprint" title="SHA-256">{node.certificateFingerprint}</code></div>}
      {node.certificate && <div className="hint">{node.certificate.subject}, valid to <Time value={node.certificate.validTo} /></div>}
      {node.presentedCertificate && (
        <div>
          <strong>Changed:</strong> presents <code className="fingerprint">{node.presentedCertificate.fingerprint}</code>{' '}
          <button type="button" className="button" disabled={accept.isPending} onClick={() => accept.mutate()}>Accept new certificate</button>
        </div>
      )}
      {accept.error && <ErrorNotice error={accept.error} />}
    </div>
  );
}

function NodeAddressForm({ bridgeId, node }: { bridgeId: string; node: Row }) {
  const client = useQueryClient();
  const [address, setAddress] = useState('');
  const change = useMutation({
    mutationFn: (value: string | null) => api.setNodeAddress(bridgeId, node.id, value),
    onSuccess: () => {
      setAddress('');
      return client.invalidateQueries({ queryKey: ['meetings', 'bridge', bridgeId] });
    },
  });
  return (
    <form className="filters" onSubmit={(e) => { e.preventDefault(); if (address.trim()) change.mutate(address.trim()); }} aria-label={`Address of ${node.name}`}>
      <input aria-label={`New address of ${node.name}`} placeholder="host:port or URL" value={address} onChange={(e) => setAddress(e.target.value)} />
      <button className="button" disabled={change.isPending || !address.trim()}>Set</button>
      {node.addressOverride && <button type="button" className="button" disabled={change.isPending} onClick={() => change.mutate(null)}>Use advertised</button>}
      {change.error && <ErrorNotice error={change.error} />}
    </form>
  );
}

function startOfWeek(date: Date) {
  const d = new Date(date);
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return d;
}

function CalendarView() {
  const [week, setWeek] = useState(() => startOfWeek(new Date()));
  const [bridgeId, setBridgeId] = useState('');
  const bridges = useQuery({ queryKey: ['meetings', 'bridges'], queryFn: ({ signal }) => api.bridges(signal) });
  const to = new Date(week.getTime() + 7 * 86_400_000);
  const meetings = useQuery({ queryKey: ['meetings', 'calendar', week.toISOString(), bridgeId], queryFn: ({ signal }) => api.meetings({ from: week.toISOString(), to: to.toISOString(), bridgeId, limit: 500 }, signal) });
  const days = Array.from({ length: 7 }, (_, i) => new Date(week.getTime() + i * 86_400_000));
  return (
    <>
      <div className="filters">
        <button className="button" onClick={() => setWeek(new Date(week.getTime() - 7 * 86_400_000))}>← Previous week</button>
        <strong>Week of {week.toDateString()}</strong>
        <button className="button" onClick={() => setWeek(new Date(week.getTime() + 7 * 86_400_000))}>Next week →</button>
        <select aria-label="Bridge" value={bridgeId} onChange={(e) => setBridgeId(e.target.value)}><option value="">All bridges</option>{(bridges.data?.items ?? []).map((b) => <option key={b.id} value={b.id}>{b.name || b.address}</option>)}</select>
      </div>
      <TimeZoneNote />
      <div className="week" style={{ display: 'grid', gridTemplateColumns: 'repeat(7, 1fr)', gap: 8 }}>
        {days.map((day) => (
          <div key={day.toISOString()} className="card"><h4>{day.toDateString()}</h4>
            {(meetings.data?.items ?? []).filter((m) => new Date(m.startAt).toDateString() === day.toDateString()).map((m) => (
              <p key={m.id}><Link to={`/meetings/meetings/${m.id}`}>{new Date(m.startAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} {m.title}</Link> <small>({m.state})</small></p>
            ))}
          </div>
        ))}
      </div>
    </>
  );
}

function BookingForm() {
  const form = useForm({ title: '', start: '', durationMinutes: '60', timeZone: browserTimeZone, dialOut: '', passcode: '', earlyJoinMinutes: '5', recurrence: '', bridgeId: '' });
  const bridges = useQuery({ queryKey: ['meetings', 'bridges'], queryFn: ({ signal }) => api.bridges(signal) });
  const book = useMutation({
    mutationFn: () => {
      const v = form.values;
      return api.book({ title: v.title, start: v.start, durationMinutes: Number(v.durationMinutes), timeZone: v.timeZone, dialOut: v.dialOut ? v.dialOut.split(',').map((s) => s.trim()).filter(Boolean) : undefined, passcode: v.passcode || undefined, earlyJoinMinutes: Number(v.earlyJoinMinutes) || 0, recurrence: v.recurrence || undefined, bridgeId: v.bridgeId || undefined });
    },
  });
  return (
    <form className="card form-card" aria-label="Book a meeting" onSubmit={(e) => { e.preventDefault(); book.mutate(); }}>
      <div className="form-grid">
        <Field label="Title"><input required {...form.bind('title')} /></Field>
        <Field label="Start (wall time in the time zone)"><input required type="datetime-local" {...form.bind('start')} /></Field>
        <Field label="Duration (minutes)"><input inputMode="numeric" {...form.bind('durationMinutes')} /></Field>
        <Field label="Time zone"><input {...form.bind('timeZone')} /></Field>
        <Field label="Dial out to (SIP URIs, comma-separated)"><input {...form.bind('dialOut')} /></Field>
        <Field label="Passcode"><input inputMode="numeric" {...form.bind('passcode')} /></Field>
        <Field label="Early join (minutes)"><input inputMode="numeric" {...form.bind('earlyJoinMinutes')} /></Field>
        <Field label="Recurrence (RRULE)"><input placeholder="FREQ=WEEKLY;BYDAY=MO" {...form.bind('recurrence')} /></Field>
        <Field label="Bridge"><select {...form.bind('bridgeId')}><option value="">Route automatically</option>{(bridges.data?.items ?? []).map((b) => <option key={b.id} value={b.id}>{b.name || b.address}</option>)}</select></Field>
      </div>
      <button className="button button-primary" disabled={book.isPending}>Book</button>
      {book.error && <ErrorNotice error={book.error} />}
      {book.data && <p className="notice notice-success" role="status">Booked "{book.data.title}" — {book.data.occurrences} meeting(s), first <Time value={book.data.startAt} />.</p>}
    </form>
  );
}

function OngoingView() {
  const meetings = useQuery({ queryKey: ['meetings', 'ongoing'], queryFn: ({ signal }) => api.meetings({ state: ['ongoing', 'starting', 'ending'], limit: 200 }, signal), refetchInterval: 2000 });
  return (
    <table className="table">
      <thead><tr><th>Meeting</th><th>State</th><th>Start</th><th>End</th><th>Slot</th></tr></thead>
      <tbody>{(meetings.data?.items ?? []).map((m) => <tr key={m.id}><td><Link to={`/meetings/meetings/${m.id}`}>{m.title}</Link></td><td>{m.state}</td><td><Time value={m.startAt} /></td><td><Time value={m.endAt} /></td><td>{m.slot}</td></tr>)}</tbody>
    </table>
  );
}

function MeetingView() {
  const { id = '' } = useParams();
  const client = useQueryClient();
  const meeting = useQuery({ queryKey: ['meetings', 'meeting', id], queryFn: ({ signal }) => api.meeting(id, signal), refetchInterval: 2000 });
  const [uri, setUri] = useState('');
  const [message, setMessage] = useState('');
  // Each action says what it did: the bridge changes nothing the legs table shows (mute, banner, lock).
  const act = useMutation({ mutationFn: async ({ fn, done }: { fn: () => Promise<unknown>; done: string }) => { await fn(); return done; }, onSuccess: () => client.invalidateQueries({ queryKey: ['meetings', 'meeting', id] }) });
  const run = (done: string, fn: () => Promise<unknown>) => act.mutate({ fn, done });
  const m = meeting.data;
  if (meeting.error) return <ErrorNotice error={meeting.error} />;
  if (!m) return <p>Loading…</p>;
  const live = m.state === 'ongoing';
  return (
    <>
      <h2>{m.title}</h2>
      <p>{m.state} · <Time value={m.startAt} /> – <Time value={m.endAt} /> · slot {m.slot ?? '—'} · failovers {m.failovers}</p>
      {live && (
        <div className="actions">
          <button className="button" onClick={() => run('Extended by 15 minutes.', () => api.extend(id, 15))}>Extend 15 min</button>
          <button className="button" onClick={() => run('Locked: nobody else can join.', () => api.updateCall(id, { locked: true }))}>Lock</button>
          <button className="button button-danger" onClick={() => run('Ending the meeting.', () => api.end(id))}>End now</button>
          <form onSubmit={(e) => { e.preventDefault(); run(`Dialling ${uri}.`, () => api.dial(id, uri)); setUri(''); }}><input aria-label="Dial out to" placeholder="alice@example.com" value={uri} onChange={(e) => setUri(e.target.value)} /> <button className="button">Add participant</button></form>
          <form onSubmit={(e) => { e.preventDefault(); run(`Message shown: "${message}".`, () => api.updateCall(id, { messageText: message })); }}><input aria-label="Message" value={message} onChange={(e) => setMessage(e.target.value)} /> <button className="button">Send message</button></form>
        </div>
      )}
      {act.error && <ErrorNotice error={act.error} />}
      {act.data && !act.isPending && !act.error && <p className="notice notice-success" role="status">{act.data}</p>}
      {m.state === 'scheduled' && <OccurrenceSchedule meeting={m} />}
      {m.state === 'scheduled' && <OccurrenceDialOuts meeting={m} />}
      <table className="table"><thead><tr><th>Participant</th><th>Outcome</th><th>Reason</th><th /></tr></thead>
        <tbody>{m.legs.map((l: Row) => <tr key={l.id}><td>{l.remoteParty}</td><td>{l.outcome}</td><td>{l.reason}</td><td>{live && l.callLegId && !['dropped', 'failed'].includes(l.outcome) && (<><button className="button" onClick={() => run(`Muted ${l.remoteParty}.`, () => api.mute(id, l.callLegId, true))}>Mute</button> <button className="button" onClick={() => run(`Unmuted ${l.remoteParty}.`, () => api.mute(id, l.callLegId, false))}>Unmute</button> <button className="button" onClick={() => run(`Dropped ${l.remoteParty}.`, () => api.drop(id, l.callLegId))}>Drop</button></>)}</td></tr>)}</tbody></table>
      <h3>History</h3>
      {/* Only callLegStart CDRs carry the remote party; the others name the leg by its ID. */}
      <ul>{m.history.map((h: Row, i: number) => <li key={i}><Time value={h.at} /> {h.type} {h.remoteParty ?? m.legs.find((l: Row) => l.callLegId && l.callLegId === h.callLegId)?.remoteParty ?? ''} {h.reason ?? ''}</li>)}</ul>
    </>
  );
}

/** `date` as the wall time of a datetime-local input in `timeZone` (YYYY-MM-DDTHH:mm). */
function wallTime(date: string | Date, timeZone: string) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(date)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** M8: one scheduled meeting of a series is moved or cancelled; the rest of the series stays. */
function OccurrenceSchedule({ meeting }: { meeting: Row }) {
  const client = useQueryClient();
  const booking = useQuery({ queryKey: ['meetings', 'booking', meeting.bookingId], queryFn: ({ signal }) => api.booking(meeting.bookingId, signal) });
  const timeZone: string | undefined = booking.data?.timeZone;
  const [edit, setEdit] = useState<{ start: string; end: string } | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const change = useMutation({
    mutationFn: (body: Row) => api.updateOccurrence(meeting.bookingId, meeting.id, body),
    onSuccess: () => {
      setEdit(null);
      setConfirmCancel(false);
      return client.invalidateQueries({ queryKey: ['meetings'] });
    },
  });
  if (!timeZone) return null;
  const value = edit ?? { start: wallTime(meeting.startAt, timeZone), end: wallTime(meeting.endAt, timeZone) };
  return (
    <form className="card form-card" aria-label="Move or cancel this meeting" onSubmit={(e) => { e.preventDefault(); change.mutate({ start: value.start, end: value.end }); }}>
      <h3>Move or cancel this meeting</h3>
      <p className="hint">Only this meeting changes; the rest of the series keeps its times. Times are in {timeZone}.</p>
      <div className="form-grid">
        <Field label="New start"><input type="datetime-local" required value={value.start} onChange={(e) => setEdit({ ...value, start: e.target.value })} /></Field>
        <Field label="New end"><input type="datetime-local" required value={value.end} onChange={(e) => setEdit({ ...value, end: e.target.value })} /></Field>
      </div>
      <button className="button button-primary" disabled={change.isPending || !edit}>Move this meeting</button>{' '}
      {!confirmCancel && <button type="button" className="button button-danger" disabled={change.isPending} onClick={() => setConfirmCancel(true)}>Cancel this meeting…</button>}
      {confirmCancel && (
        <>
          <button type="button" className="button button-danger" disabled={change.isPending} onClick={() => change.mutate({ cancel: true })}>Yes, cancel this meeting</button>{' '}
          <button type="button" className="button" onClick={() => setConfirmCancel(false)}>Keep it</button>
        </>
      )}
      {change.error && <ErrorNotice error={change.error} />}
      {change.isSuccess && !edit && change.data?.state === 'scheduled' && <p className="notice notice-success" role="status">Moved: this meeting now starts <Time value={change.data.startAt} />.</p>}
    </form>
  );
}

/** M8: a scheduled meeting of a series can dial its own participants; the series keeps its list. */
function OccurrenceDialOuts({ meeting }: { meeting: Row }) {
  const client = useQueryClient();
  const booking = useQuery({ queryKey: ['meetings', 'booking', meeting.bookingId], queryFn: ({ signal }) => api.booking(meeting.bookingId, signal) });
  const [text, setText] = useState<string | null>(null);
  const own: string[] | null = meeting.dialOut ?? null;
  const series: string[] = booking.data?.dialOut ?? [];
  const save = useMutation({
    mutationFn: (dialOut: string[] | null) => api.updateOccurrence(meeting.bookingId, meeting.id, { dialOut }),
    onSuccess: () => { setText(null); return client.invalidateQueries({ queryKey: ['meetings', 'meeting', meeting.id] }); },
  });
  const value = text ?? (own ?? series).join(', ');
  return (
    <form className="card form-card" aria-label="Dial-outs of this meeting" onSubmit={(e) => { e.preventDefault(); save.mutate(value.split(',').map((v) => v.trim()).filter(Boolean)); }}>
      <h3>Dial-outs of this meeting</h3>
      <p className="hint">{own ? 'This meeting has its own list; the rest of the series dials: ' : 'Same as the series: '}{series.join(', ') || 'nobody'}.</p>
      <Field label="Dial out to (SIP URIs, comma-separated)"><input value={value} onChange={(e) => setText(e.target.value)} /></Field>
      <button className="button button-primary" disabled={save.isPending}>Save for this meeting</button>{' '}
      {own && <button type="button" className="button" disabled={save.isPending} onClick={() => save.mutate(null)}>Use the series' list</button>}
      {save.error && <ErrorNotice error={save.error} />}
      {save.isSuccess && text === null && <p className="notice notice-success" role="status">Saved: this meeting dials {(save.data?.dialOut ?? series).join(', ') || 'nobody'}.</p>}
    </form>
  );
}
