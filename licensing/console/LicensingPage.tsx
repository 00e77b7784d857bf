import { Route, Routes } from 'react-router';
import { NotFoundPage } from '../../platform/console/src/pages/NotFoundPage.tsx';
import { ClusterPage } from './ClusterPage.tsx';
import { ClustersPage } from './ClustersPage.tsx';
import { JobPage } from './JobPage.tsx';
import { JobsPage } from './JobsPage.tsx';
import { SmartAccountPage } from './SmartAccountPage.tsx';
import { SmartAccountsPage } from './SmartAccountsPage.tsx';
import { VirtualAccountPage } from './VirtualAccountPage.tsx';

// The Smart Licensing pages (HCM-F: Infrastructure Manager > Smart Licensing), one per route under
// /licensing; the console router loads this area bundle on the first visit.
export function LicensingPage() {
  return (
    <Routes>
      <Route index element={<SmartAccountsPage />} />
      <Route path="smart-accounts/:id" element={<SmartAccountPage />} />
      <Route path="virtual-accounts/:id" element={<VirtualAccountPage />} />
      <Route path="clusters" element={<ClustersPage />} />
      <Route path="clusters/:id" element={<ClusterPage />} />
      <Route path="jobs" element={<JobsPage />} />
      <Route path="jobs/:id" element={<JobPage />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
