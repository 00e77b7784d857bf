import { Badge, Button, Group } from '@mantine/core';
import { NavLink } from 'react-router';
import type { Row } from './meetings-api.ts';

// What the Meetings pages share: the area's own navigation and the words for states.

const sections = [
  { to: '/meetings', label: 'Today', end: true },
  { to: '/meetings/bookings', label: 'Bookings', end: false },
  { to: '/meetings/calendar', label: 'Calendar', end: true },
  { to: '/meetings/bridges', label: 'Bridges', end: false },
  { to: '/meetings/tickets', label: 'Tickets', end: true },
] as const;

/** The area's sections; "Book a meeting" is the one action every page offers. */
export function MeetingsNav() {
  return (
    <Group component="nav" aria-label="Meetings" gap="xs" mb="md" wrap="wrap">
      {sections.map((s) => (
        <NavLink key={s.to} to={s.to} end={s.end} style={{ textDecoration: 'none' }}>
          {({ isActive }) => (
            <Button component="span" size="xs" variant={isActive ? 'filled' : 'default'}>
              {s.label}
            </Button>
          )}
        </NavLink>
      ))}
      <NavLink to="/meetings/bookings/new" style={{ textDecoration: 'none' }}>
        {({ isActive }) => (
          <Button component="span" size="xs" variant={isActive ? 'filled' : 'light'}>
            Book a meeting
          </Button>
        )}
      </NavLink>
    </Group>
  );
}

export const bridgeLabel = (b: Row | undefined) => (b ? b.name || `No Name (${b.address})` : 'Unknown bridge');

const meetingStateColor: Record<string, string> = { scheduled: 'blue', starting: 'yellow', ongoing: 'green', ending: 'yellow', ended: 'gray', cancelled: 'gray', failed: 'red', missed: 'red' };

export function MeetingStateBadge({ state }: { state: string }) {
  return (
    <Badge variant="light" color={meetingStateColor[state] ?? 'gray'} tt="none">
      {state}
    </Badge>
  );
}

/** Dial-out outcomes as Switchboard records them (placing, connected, failed, dropped…). */
const outcomeColor: Record<string, string> = { connected: 'green', placing: 'yellow', placed: 'yellow', retrying: 'orange', busy: 'orange', failed: 'red', 'given-up': 'red', dropped: 'gray', ended: 'gray' };

export function OutcomeBadge({ outcome }: { outcome: string }) {
  return (
    <Badge variant="light" color={outcomeColor[outcome] ?? 'gray'} tt="none">
      {outcome}
    </Badge>
  );
}
