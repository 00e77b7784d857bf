import { createBrowserRouter, Navigate } from 'react-router';
import { Shell } from './Shell.tsx';
import { RequireSession } from './session.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { JobsPage } from './pages/JobsPage.tsx';
import { JobDetailPage } from './pages/JobDetailPage.tsx';
import { AuditPage } from './pages/AuditPage.tsx';
import { AdminPage } from './pages/AdminPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { MeetingsPage } from '../../../meetings/console/MeetingsPage.tsx';
import { PartnerPage } from '../../../partner/console/PartnerPage.tsx';
import { BillingPage } from '../../../partner/console/BillingPage.tsx';
import { LicensingPage } from '../../../licensing/console/LicensingPage.tsx';
import { LabPage } from '../../../lab/console/LabPage.tsx';

// Each area's pages live in the area's own folder (<area>/console/); this is where they are routed.
export function createConsoleRouter() {
  return createBrowserRouter([
    { path: '/login', element: <LoginPage /> },
    {
      path: '/',
      element: (
        <RequireSession>
          <Shell />
        </RequireSession>
      ),
      children: [
        { index: true, element: <Navigate to="/jobs" replace /> },
        { path: 'meetings/*', element: <MeetingsPage /> },
        { path: 'partner/billing', element: <BillingPage /> },
        { path: 'partner/*', element: <PartnerPage /> },
        { path: 'licensing/*', element: <LicensingPage /> },
        { path: 'lab/*', element: <LabPage /> },
        { path: 'jobs', element: <JobsPage /> },
        { path: 'jobs/:id', element: <JobDetailPage /> },
        { path: 'audit', element: <AuditPage /> },
        { path: 'admin', element: <AdminPage /> },
        { path: '*', element: <NotFoundPage /> },
      ],
    },
  ]);
}
