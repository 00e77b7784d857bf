import { useEffect, useId, useRef, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { signOut } from './api.ts';
import { useActor, useCan } from './session.tsx';
import { roleLabels, type Role } from '../../auth/roles.ts';
import type { Permission } from '../../auth/roles.ts';

type NavItem = { to: string; label: string; needs?: Permission };

const navGroups: { label: string; items: NavItem[] }[] = [
  {
    label: 'Areas',
    items: [
      { to: '/meetings', label: 'Meetings' },
      { to: '/partner', label: 'Partner' },
      { to: '/partner/billing', label: 'Billing', needs: 'billing.read' },
      { to: '/licensing', label: 'Licensing' },
      { to: '/lab', label: 'Lab' },
    ],
  },
  {
    label: 'Operations',
    items: [
      { to: '/jobs', label: 'Jobs', needs: 'jobs.read' },
      { to: '/audit', label: 'Audit', needs: 'audit.read' },
    ],
  },
  { label: 'Settings', items: [{ to: '/admin', label: 'Administration', needs: 'users.read' }] },
];

export const roleLabel = (role: string) => roleLabels[role as Role] ?? role;

export function Shell() {
  const can = useCan();
  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            SB
          </span>
          Switchboard
        </div>
        <nav aria-label="Main">
          {navGroups.map((group) => {
            const items = group.items.filter((item) => !item.needs || can(item.needs));
            if (items.length === 0) return null;
            return (
              <div className="nav-group" key={group.label}>
                <p className="nav-group-label">{group.label}</p>
                <ul>
                  {items.map((item) => (
                    <li key={item.to}>
                      <NavLink to={item.to} className="nav-link">
                        {item.label}
                      </NavLink>
                    </li>
                  ))}
                </ul>
              </div>
            );
          })}
        </nav>
        <p className="sidebar-foot">
          <a href="/api/docs">API documentation</a>
        </p>
      </aside>
      <div className="main-column">
        <header className="topbar">
          <UserMenu />
        </header>
        <main id="main" className="content" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}

function UserMenu() {
  const actor = useActor();
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const wrapper = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();

  const signOutMutation = useMutation({
    mutationFn: signOut,
    // Even if the server could not be told, this browser forgets the session.
    onSettled: () => {
      queryClient.clear();
      void navigate('/login?signedOut=1', { replace: true });
    },
  });

  useEffect(() => setOpen(false), [location.pathname]);
  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (!wrapper.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  return (
    <div className="user-menu" ref={wrapper}>
      <button ref={button} type="button" className="user-menu-button" aria-expanded={open} aria-controls={menuId} onClick={() => setOpen((value) => !value)}>
        <span className="avatar" aria-hidden="true">
          {actor.name.slice(0, 1).toUpperCase()}
        </span>
        <span>
          {actor.name}
          <span className="user-menu-role">{roleLabel(actor.role)}</span>
        </span>
        <span className="caret" aria-hidden="true">
          ▾
        </span>
      </button>
      <div id={menuId} className="user-menu-panel" hidden={!open}>
        <p>
          Signed in as <strong>{actor.name}</strong>
          <br />
          <span className="muted">{roleLabel(actor.role)}</span>
        </p>
        <button type="button" className="button button-secondary" disabled={signOutMutation.isPending} onClick={() => signOutMutation.mutate()}>
          Sign out
        </button>
      </div>
    </div>
  );
}
