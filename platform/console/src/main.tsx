import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from 'react-router';
import { MantineProvider } from '@mantine/core';
import { ModalsProvider } from '@mantine/modals';
import { Notifications } from '@mantine/notifications';
import { DatesProvider } from '@mantine/dates';
import { ApiError, onSessionLost, setCsrfToken } from './api.ts';
import { createConsoleRouter } from './router.tsx';
import { sessionQueryKey } from './session.tsx';
import { theme } from './theme.ts';
// Layer order first; Mantine's styles in their layer; the legacy stylesheet (area pages) below them.
import './layers.css';
import '@mantine/core/styles.layer.css';
import '@mantine/dates/styles.layer.css';
import '@mantine/notifications/styles.layer.css';
import '@mantine/charts/styles.layer.css';
import './console.css';
import './shell.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again; a dropped connection might.
      retry: (failures, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failures < 2,
      refetchOnWindowFocus: true,
    },
  },
});

const router = createConsoleRouter();

onSessionLost(() => {
  const wasSignedIn = queryClient.getQueryData(sessionQueryKey) !== undefined;
  const { pathname, search } = router.state.location;
  if (pathname === '/login') return;
  setCsrfToken(null);
  void queryClient.cancelQueries();
  const next = pathname + search;
  const params = new URLSearchParams();
  if (next !== '/') params.set('next', next);
  if (wasSignedIn) params.set('expired', '1');
  const query = params.toString();
  void router.navigate(`/login${query ? `?${query}` : ''}`, { replace: true });
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light">
      <DatesProvider settings={{ firstDayOfWeek: 1 }}>
        <QueryClientProvider client={queryClient}>
          <ModalsProvider labels={{ confirm: 'Confirm', cancel: 'Cancel' }}>
            <Notifications position="top-right" limit={4} />
            <RouterProvider router={router} />
          </ModalsProvider>
        </QueryClientProvider>
      </DatesProvider>
    </MantineProvider>
  </StrictMode>,
);
