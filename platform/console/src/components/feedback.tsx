import { Text } from '@mantine/core';
import { modals } from '@mantine/modals';
import { notifications } from '@mantine/notifications';
import { ApiError } from '../api.ts';

// Results of actions: a notification that says what happened (and the tracking ID when it failed);
// a confirmation before what cannot be undone.

export function notifySuccess(message: string, title?: string) {
  notifications.show({ color: 'green', title, message, autoClose: 5000 });
}

export function notifyError(error: unknown, title = 'That did not work') {
  const message = error instanceof Error ? error.message : String(error);
  const tracking = error instanceof ApiError && error.trackingId ? ` Tracking ID ${error.trackingId}.` : '';
  notifications.show({ color: 'red', title, message: `${message}${tracking}`, autoClose: 10_000 });
}

export type ConfirmOptions = {
  title: string;
  /** What will happen, in one or two sentences. */
  message: string;
  confirmLabel: string;
  /** Destructive (delete, revoke): a red confirm button. */
  danger?: boolean;
};

/** Resolves true when the user confirms, false when they cancel or close the dialog. */
export function confirmAction({ title, message, confirmLabel, danger }: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    modals.openConfirmModal({
      title,
      children: <Text size="sm">{message}</Text>,
      labels: { confirm: confirmLabel, cancel: 'Cancel' },
      confirmProps: { color: danger ? 'red' : undefined },
      onConfirm: () => resolve(true),
      onCancel: () => resolve(false),
      onClose: () => resolve(false),
    });
  });
}
