import { useEffect } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Checkbox, Group, NativeSelect, NumberInput, Paper, Stack, Switch, Text, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { request } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { useCan } from '../../platform/console/src/session.tsx';

// Partner side of P13/P14: the partner release schedule (cascade or not) and, per customer org,
// restricted-by-partner mode (confirmed before it is saved: it changes what the customer's own
// admins may do), Webex Assistant, media tags and the org's own release schedule.

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
  const can = useCan();
  const schedule = useQuery({ queryKey: ['partner', 'release-schedule'], queryFn: () => request<Schedule>('/api/v1/partner/release-schedule') });
  const form = useForm({
    mode: 'controlled',
    initialValues: { deferDays: 0 as number | string, cascade: false },
    validate: { deferDays: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 90 ? null : 'Enter a whole number of days from 0 to 90.') },
  });
  const loaded = schedule.data?.deferDays;
  useEffect(() => {
    if (loaded !== undefined) form.setValues({ deferDays: loaded });
    // Only when the stored schedule changes, not on every keystroke.
  }, [loaded]);
  const save = useMutation({
    mutationFn: (values: { deferDays: number; cascade: boolean }) => request<Schedule>('/api/v1/partner/release-schedule', { method: 'PUT', body: values }),
    onSuccess: (s, values) => {
      notifySuccess(`Customers get Cisco's release ${s.deferDays} days late${values.cascade ? ', all of them (their own schedules dropped)' : ''}.`, 'Release schedule saved');
      void client.invalidateQueries({ queryKey: ['partner'] });
    },
    onError: (error) => form.setErrors(fieldErrors(error)),
  });
  const s = schedule.data;
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="release-schedule">
      <Title order={2} fz="lg" id="release-schedule" mb="xs">
        Release schedule
      </Title>
      <ErrorNotice error={schedule.error ?? save.error} title="Release schedule" />
      {s && (
        <Text size="sm" mb="sm">
          Cisco release {s.ciscoRelease}; deferred {s.deferDays} days, customers on {s.appRelease}; {s.orgOverrides} customer(s) with their own schedule.
        </Text>
      )}
      {can('partner.manage') && (
        <form
          onSubmit={form.onSubmit(async (values) => {
            if (values.cascade && !(await confirmAction({ title: 'Apply to every customer?', message: `Every customer follows the partner schedule; the ${s?.orgOverrides ?? 0} customer schedule(s) of their own are dropped.`, confirmLabel: 'Apply to all' }))) return;
            save.mutate({ deferDays: Number(values.deferDays), cascade: values.cascade });
          })}
          aria-label="Release schedule"
          noValidate
        >
          <Group align="flex-end" gap="md">
            <NumberInput label="Defer by (days)" min={0} max={90} allowDecimal={false} w={160} {...form.getInputProps('deferDays')} />
            <Checkbox label="Cascade to all customers" mb={8} {...form.getInputProps('cascade', { type: 'checkbox' })} />
            <Button type="submit" loading={save.isPending}>
              Save schedule
            </Button>
          </Group>
        </form>
      )}
    </Paper>
  );
}

export function CustomerSettings({ orgId, name }: { orgId: string; name: string }) {
  const client = useQueryClient();
  const can = useCan();
  const settings = useQuery({ queryKey: ['partner', 'customer-settings', orgId], queryFn: () => request<OrgSettingsView>(`/api/v1/partner/customers/${orgId}/settings`) });
  const refresh = () => client.invalidateQueries({ queryKey: ['partner'] });
  const patch = useMutation({
    mutationFn: (body: Record<string, unknown>) => request(`/api/v1/partner/customers/${orgId}/settings`, { method: 'PATCH', body }),
    onSuccess: () => notifySuccess(`Settings of ${name} saved.`),
    onError: (error) => notifyError(error, 'Could not save the setting'),
    onSettled: refresh,
  });
  const restrict = useMutation({
    mutationFn: (restricted: boolean) => request<{ restricted: boolean }>(`/api/v1/partner/customers/${orgId}/restricted`, { method: 'PUT', body: { restricted } }),
    onSuccess: (r) => notifySuccess(r.restricted ? `${name}'s admins now see restricted controls read-only.` : `${name}'s admins can change every setting again.`, r.restricted ? 'Restricted by partner: on' : 'Restricted by partner: off'),
    onError: (error) => notifyError(error, 'Could not change restricted mode'),
    onSettled: refresh,
  });
  const s = settings.data;
  const manage = can('partner.manage');
  const toggleRestricted = async (restricted: boolean) => {
    const ok = await confirmAction(
      restricted
        ? { title: `Restrict ${name}?`, message: `${name}'s own administrators will see the partner-managed settings (company name, domain, authentication, users, calling) read-only or hidden, with a banner saying so.`, confirmLabel: 'Turn restricted mode on' }
        : { title: `Lift the restriction on ${name}?`, message: `${name}'s own administrators will be able to change every setting, including users, authentication and calling.`, confirmLabel: 'Turn restricted mode off', danger: true },
    );
    if (ok) restrict.mutate(restricted);
  };
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby={`settings-${orgId}`}>
      <Title order={2} fz="lg" id={`settings-${orgId}`} mb="xs">
        Settings
      </Title>
      <ErrorNotice error={settings.error} title="Could not read the settings" />
      {s && (
        <Stack gap="sm">
          <Switch
            label="Restricted by partner mode"
            description="Customer admins see partner-managed settings read-only or hidden."
            checked={s.restrictedByPartner}
            disabled={!manage || restrict.isPending}
            onChange={(event) => void toggleRestricted(event.currentTarget.checked)}
          />
          <Switch label="Webex Assistant (Standard and Premium users)" checked={Boolean(s.webexAssistant)} disabled={!manage} onChange={(e) => patch.mutate({ webexAssistant: e.currentTarget.checked })} />
          <Switch label="Video calls" checked={Boolean(s.videoCalls)} disabled={!manage} onChange={(e) => patch.mutate({ videoCalls: e.currentTarget.checked })} />
          <Switch label="Screen share within calls" checked={Boolean(s.screenShareInCalls)} disabled={!manage} onChange={(e) => patch.mutate({ screenShareInCalls: e.currentTarget.checked })} />
          <Group gap="md" align="flex-end">
            <NativeSelect
              label="Incoming call media"
              data={[
                { value: 'video', label: 'Video' },
                { value: 'audio', label: 'Audio only' },
              ]}
              value={s.incomingCallMedia ?? 'video'}
              disabled={!manage}
              onChange={(e) => patch.mutate({ incomingCallMedia: e.currentTarget.value })}
              w={200}
            />
            <NativeSelect
              label="Release schedule of this customer"
              description={`Now on ${s.release.appRelease}`}
              data={[{ value: 'partner', label: 'Partner schedule' }, ...[0, 7, 14, 30, 60, 90].map((d) => ({ value: String(d), label: `Defer ${d} days` }))]}
              value={s.release.source === 'org' ? String(s.release.deferDays) : 'partner'}
              disabled={!manage}
              onChange={(e) => patch.mutate({ releaseDeferDays: e.currentTarget.value === 'partner' ? null : Number(e.currentTarget.value) })}
              w={240}
            />
          </Group>
        </Stack>
      )}
    </Paper>
  );
}
