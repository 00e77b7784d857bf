// Times are stored in UTC and shown in the browser's time zone, with the zone named.
export const browserTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

// dateStyle/timeStyle cannot be combined with timeZoneName, hence the fields one by one.
const full = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : full.format(date);
}

export function Time({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <time dateTime={value} title={`${value} (UTC)`}>
      {formatTime(value)}
    </time>
  );
}

export function TimeZoneNote() {
  return <p className="timezone-note">Times are shown in your browser's time zone, <strong>{browserTimeZone}</strong>.</p>;
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
