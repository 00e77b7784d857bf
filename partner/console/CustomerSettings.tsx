import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';

// Partner side of P13/P14: the partner release schedule (cascade or not) and, per customer org,
// restricted-by-partner mode, Webex Assistant, media tags and the org's own release schedule.

type Schedule = { deferDays: number; appRelease: string; ciscoRelease: string; orgOverrides: number };
export type OrgSettingsView = {
  customerOrgId: string;
  companyName: string;
  restrictedByPartner: boolean;
  banner: string | null;
  webexAssistant: boolean | null;
  videoCalls: boolean | null;
  screenShareInCalls: boolean | null;
  incomingCallMedia: string | null;
  release: { deferDays: number; source: 'partner' | 'org'; appRelease: string };
  [key: string]: unknown;
};

export function ReleaseSchedule() {
  const client = useQueryClient();
  const schedule = useQuery({ queryKey: ['partner', 'release-schedule'], queryFn: () => request<Schedule>('/api/v1/partner/release-schedule') });
  const [days, setDays] = useState('');
  const [cascade, setCascade] = useState(false);
  const save = useMutation({
    mutationFn: () => request<Schedule>('/api/v1/partner/release-schedule', { method: 'PUT', body: { deferDays: Number(days), cascade } }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['partner'] }),
  });
  const s = schedule.data;
  return (
    <section aria-labelledby="release-schedule">
      <h2 id="release-schedule">Release schedule</h2>
      <ErrorNotice error={schedule.error ?? save.error} />
      {s && (
        <p>
          Cisco release {s.ciscoRelease}; deferred {s.deferDays} days, customers on {s.appRelease}; {s.orgOverrides} customer(s) with their own schedule.
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <label>
          Defer by (days) <input type="number" min={0} max={90} value={days} onChange={(e) => setDays(e.target.value)} required />
        </label>{' '}
        <label>
          <input type="checkbox" checked={cascade} onChange={(e) => setCascade(e.target.checked)} /> Cascade to all customers
        </label>{' '}
        <button type="submit">Save schedule</button>
      </form>
    </section>
  );
}

export function CustomerSettings({ orgId, name }: { orgId: string; name: string }) {
  const client = useQueryClient();
  const key = ['partner', 'customer-settings', orgId];
  const settings = useQuery({ queryKey: key, queryFn: () => request<OrgSettingsView>(`/api/v1/partner/customers/${orgId}/settings`) });
  const patch = useMutation({
    mutationFn: (body: Record<string, unknown>) => request(`/api/v1/partner/customers/${orgId}/settings`, { method: 'PATCH', body }),
    onSettled: () => client.invalidateQueries({ queryKey: ['partner'] }),
  });
  const restrict = useMutation({
    mutationFn: (restricted: boolean) => request(`/api/v1/partner/customers/${orgId}/restricted`, { method: 'PUT', body: { restricted } }),
    onSettled: () => client.invalidateQueries({ queryKey: ['partner'] }),
  });
  const s = settings.data;
  return (
    <section aria-labelledby={`settings-${orgId}`}>
      <h3 id={`settings-${orgId}`}>Settings — {name}</h3>
      <ErrorNotice error={settings.error ?? patch.error ?? restrict.error} />
      {s && (
        <div className="form">
          <label>
            <input type="checkbox" checked={s.restrictedByPartner} onChange={(e) => restrict.mutate(e.target.checked)} /> Restricted by partner mode
          </label>
          <label>
            <input type="checkbox" checked={Boolean(s.webexAssistant)} onChange={(e) => patch.mutate({ webexAssistant: e.target.checked })} /> Webex Assistant (Standard and Premium users)
          </label>
          <label>
            <input type="checkbox" checked={Boolean(s.videoCalls)} onChange={(e) => patch.mutate({ videoCalls: e.target.checked })} /> Video calls
          </label>
          <label>
            <input type="checkbox" checked={Boolean(s.screenShareInCalls)} onChange={(e) => patch.mutate({ screenShareInCalls: e.target.checked })} /> Screen share within calls
          </label>
          <label>
            Incoming call media{' '}
            <select value={s.incomingCallMedia ?? 'video'} onChange={(e) => patch.mutate({ incomingCallMedia: e.target.value })}>
              <option value="video">video</option>
              <option value="audio">audio only</option>
            </select>
          </label>
          <label>
            Release schedule{' '}
            <select
              aria-label="Release schedule of this customer"
              value={s.release.source === 'org' ? String(s.release.deferDays) : 'partner'}
              onChange={(e) => patch.mutate({ releaseDeferDays: e.target.value === 'partner' ? null : Number(e.target.value) })}
            >
              <option value="partner">partner schedule</option>
              {[0, 7, 14, 30, 60, 90].map((d) => (
                <option key={d} value={String(d)}>
                  defer {d} days
                </option>
              ))}
            </select>{' '}
            (now on {s.release.appRelease})
          </label>
        </div>
      )}
    </section>
  );
}
