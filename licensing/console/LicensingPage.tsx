import { AreaUnavailable } from '../../platform/console/src/components/AreaUnavailable.tsx';

// Placeholder until the Licensing area ships its console pages.
export function LicensingPage() {
  return <AreaUnavailable area="Licensing" summary="Licensing will show Cisco Smart Software Manager (CSSM) virtual accounts, licence entitlements and their usage." />;
}
