import { Badge, Stack, Text, Tooltip } from '@mantine/core';
import type { StatusRow, SubscriberStatus } from './partner-api.ts';

// A subscriber's state as a badge, and in plain words what it waits for (the pending_* reasons) or
// what went wrong — Partner Hub's user status view.

const states: Record<SubscriberStatus, { label: string; color: string; reason?: string }> = {
  provisioning: { label: 'Provisioning', color: 'blue', reason: 'Being set up in Webex; this view follows it.' },
  updating: { label: 'Updating', color: 'blue', reason: 'A change is being applied in Webex.' },
  provisioned: { label: 'Provisioned', color: 'green' },
  error: { label: 'Error', color: 'red' },
  pending_email_input: { label: 'Pending: email address', color: 'yellow', reason: 'Waiting for the user to give an email address (the template does not trust BroadWorks emails). Use Retry onboarding to enter it for them.' },
  pending_email_validation: { label: 'Pending: email validation', color: 'yellow', reason: 'Waiting for the user to open the link sent to their email address.' },
  pending_user_migration: { label: 'Pending: user migration', color: 'yellow', reason: "The email belongs to a Webex user of another organisation: waiting for that organisation's consent to move them." },
};

export const statusLabel = (status: SubscriberStatus) => states[status]?.label ?? status;
export const isPending = (status: SubscriberStatus) => status.startsWith('pending_');

export function StatusBadge({ status }: { status: SubscriberStatus }) {
  const state = states[status] ?? { label: status, color: 'gray' };
  return (
    <Badge className="badge" color={state.color} variant="light" radius="sm" tt="none" data-status={status}>
      {state.label}
    </Badge>
  );
}

/** The badge, and under it why the user waits or what failed. */
export function StatusCell({ row }: { row: Pick<StatusRow, 'status' | 'errorText'> }) {
  const reason = states[row.status]?.reason;
  return (
    <Stack gap={2} align="flex-start">
      <StatusBadge status={row.status} />
      {row.errorText ? (
        <Text size="xs" c="red.8" maw={360}>
          {row.errorText}
        </Text>
      ) : reason && row.status !== 'provisioning' && row.status !== 'updating' ? (
        <Text size="xs" c="dimmed" maw={360}>
          {reason}
        </Text>
      ) : reason ? (
        <Tooltip label={reason}>
          <Text size="xs" c="dimmed">
            in progress
          </Text>
        </Tooltip>
      ) : null}
    </Stack>
  );
}
