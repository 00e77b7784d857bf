import { AreaUnavailable } from '../../platform/console/src/components/AreaUnavailable.tsx';

// Placeholder until the Lab area ships its console pages.
export function LabPage() {
  return <AreaUnavailable area="Lab" summary="The Lab will run wire-faithful simulators of Meeting Server, Webex for BroadWorks and CSSM, so every area can be tried without real systems." />;
}
