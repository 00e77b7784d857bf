import { createBrowserRouter } from 'react-router';
import { Shell } from './Shell.tsx';
import { RequireSession } from './session.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { HomePage } from './pages/HomePage.tsx';
import { JobsPage } from './pages/JobsPage.tsx';
import { JobDetailPage } from './pages/JobDetailPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';

// Each area's pages live in the area's own folder (<area>/console/); this is where they are routed.
// Areas load on first visit (one bundle each), so the sign-in page and the shell stay small.
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
        { index: true, element: <HomePage /> },
        { path: 'meetings/endpoints', lazy: async () => ({ Component: (await import('../../../meetings/console/EndpointsPage.tsx')).EndpointsPage }) },
        { path: 'meetings/tms-import', lazy: async () => ({ Component: (await import('../../../meetings/console/TmsImportPage.tsx')).TmsImportPage }) },
        { path: 'meetings/*', lazy: async () => ({ Component: (await import('../../../meetings/console/MeetingsPage.tsx')).MeetingsPage }) },
        { path: 'partner', lazy: async () => ({ Component: (await import('../../../partner/console/PartnerPage.tsx')).PartnerPage }) },
        { path: 'partner/customers', lazy: async () => ({ Component: (await import('../../../partner/console/CustomersPage.tsx')).CustomersPage }) },
        { path: 'partner/customers/:orgId', lazy: async () => ({ Component: (await import('../../../partner/console/CustomerPage.tsx')).CustomerPage }) },
        { path: 'partner/templates', lazy: async () => ({ Component: (await import('../../../partner/console/TemplatesPage.tsx')).TemplatesPage }) },
        { path: 'partner/provision', lazy: async () => ({ Component: (await import('../../../partner/console/ProvisionPage.tsx')).ProvisionPage }) },
        { path: 'partner/analytics', lazy: async () => ({ Component: (await import('../../../partner/console/AnalyticsPage.tsx')).AnalyticsPage }) },
        { path: 'partner/billing', lazy: async () => ({ Component: (await import('../../../partner/console/BillingPage.tsx')).BillingPage }) },
        { path: 'licensing/*', lazy: async () => ({ Component: (await import('../../../licensing/console/LicensingPage.tsx')).LicensingPage }) },
        { path: 'lab/*', lazy: async () => ({ Component: (await import('../../../lab/console/LabPage.tsx')).LabPage }) },
        { path: 'jobs', element: <JobsPage /> },
        { path: 'jobs/:id', element: <JobDetailPage /> },
        // Audit and Administration bring the date pickers and forms: loaded on first visit, like the areas.
        { path: 'audit', lazy: async () => ({ Component: (await import('./pages/AuditPage.tsx')).AuditPage }) },
        { path: 'admin', lazy: async () => ({ Component: (await import('./pages/AdminPage.tsx')).AdminPage }) },
        { path: '*', element: <NotFoundPage /> },
      ],
    },
  ]);
}
