import { AreaUnavailable } from '../../platform/console/src/components/AreaUnavailable.tsx';

// Placeholder until the Meetings area ships its console pages.
export function MeetingsPage() {
  return <AreaUnavailable area="Meetings" summary="Meetings will manage Cisco Meeting Server clusters: coSpaces, their members and access methods, and live calls with their call legs." />;
}
