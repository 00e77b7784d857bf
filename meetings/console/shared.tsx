import { Badge } from '@mantine/core';
import { AreaNav, type AreaSection } from '../../platform/console/src/components/AreaNav.tsx';
import type { Row } from './meetings-api.ts';

// What the Meetings pages share: the area's own navigation and the words for states.

const sections: AreaSection[] = [
  { to: '/meetings', label: 'Today', end: true },
  { to: '/meetings/bookings', label: 'Bookings' },
  { to: '/meetings/calendar', label: 'Calendar', end: true },
  { to: '/meetings/bridges', label: 'Bridges' },
  { to: '/meetings/tickets', label: 'Tickets', end: true },
  { to: '/meetings/endpoints', label: 'Rooms', end: true },
  { to: '/meetings/tms-import', label: 'Import from TMS', end: true, needs: 'bridges.manage' },
];

/** The area's sections; "Book a meeting" is the one action every page offers. */
export function MeetingsNav() {
  return <AreaNav label="Meetings" sections={sections} action={{ to: '/meetings/bookings/new', label: 'Book a meeting', end: true }} />;
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
