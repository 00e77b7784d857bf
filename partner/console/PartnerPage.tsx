import { AreaUnavailable } from '../../platform/console/src/components/AreaUnavailable.tsx';

// Placeholder until the Partner area ships its console pages.
export function PartnerPage() {
  return <AreaUnavailable area="Partner" summary="Partner will provision Webex for BroadWorks: customer organisations, subscribers and their Webex services." />;
}
