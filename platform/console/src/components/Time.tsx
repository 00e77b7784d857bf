import { Text } from '@mantine/core';

// Times are stored in UTC and shown in the browser's time zone, with the zone named.
export const browserTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

// dateStyle/timeStyle cannot be combined with timeZoneName, hence the fields one by one.
const full = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : full.format(date);
}

export function Time({ value }: { value: string | null | undefined }) {
  if (!value) return <Text span c="dimmed">—</Text>;
  return (
    <time dateTime={value} title={`${value} (UTC)`}>
      {formatTime(value)}
    </time>
  );
}

export function TimeZoneNote() {
  return (
    <Text className="timezone-note" size="xs" c="dimmed">
      Times are shown in your browser's time zone, <strong>{browserTimeZone}</strong>.
    </Text>
  );
}

/** "3 min ago" for recent times, the full time (in the browser's zone) beyond a day. */
export function formatAgo(iso: string, now = Date.now()): string {
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return iso;
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 0 || seconds >= 86_400) return formatTime(iso);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

/** A datetime-local value (browser zone) as an ISO instant, or undefined when empty/invalid. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function isoToLocalInput(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
