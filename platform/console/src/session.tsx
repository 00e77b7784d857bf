import { createContext, useContext, type ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Navigate, useLocation } from 'react-router';
import { ApiError, getSession, type Actor } from './api.ts';
import { roleHas, roles, type Permission, type Role } from '../../auth/roles.ts';
import { ErrorNotice } from './components/ErrorNotice.tsx';

export const sessionQueryKey = ['session'] as const;

const ActorContext = createContext<Actor | null>(null);

export function useActor(): Actor {
  const actor = useContext(ActorContext);
  if (!actor) throw new Error('useActor outside a signed-in page');
  return actor;
}

/** What the console offers follows the server's role matrix; the server still decides. */
export function useCan(): (permission: Permission) => boolean {
  const actor = useActor();
  return (permission) => (roles as readonly string[]).includes(actor.role) && roleHas(actor.role as Role, permission);
}

export function useSession() {
  return useQuery({ queryKey: sessionQueryKey, queryFn: getSession, retry: false, staleTime: 5 * 60_000 });
}

/** Renders its children for a signed-in user; otherwise sends to the sign-in page. */
export function RequireSession({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) return <p className="page-loading" role="status">Loading…</p>;
  if (session.isError) {
    if (session.error instanceof ApiError && session.error.status === 401) {
      const next = location.pathname + location.search;
      return <Navigate to={`/login${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`} replace />;
    }
    return (
      <main className="page-center">
        <ErrorNotice error={session.error} title="The console could not start" />
        <button type="button" className="button" onClick={() => session.refetch()}>Try again</button>
      </main>
    );
  }
  return <ActorContext.Provider value={session.data.actor}>{children}</ActorContext.Provider>;
}
