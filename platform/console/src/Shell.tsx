import { useEffect } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { NavLink as RouterNavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { Anchor, AppShell, Avatar, Burger, Group, Menu, NavLink, ScrollArea, Stack, Text, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { signOut } from './api.ts';
import { useActor, useCan } from './session.tsx';
import { roleLabels, type Role } from '../../auth/roles.ts';
import type { Permission } from '../../auth/roles.ts';

type NavItem = { to: string; label: string; needs?: Permission; end?: boolean };

const navGroups: { label: string; items: NavItem[] }[] = [
  { label: 'Overview', items: [{ to: '/', label: 'Home', end: true }] },
  {
    label: 'Areas',
    items: [
      { to: '/meetings', label: 'Meetings' },
      // Billing is its own entry: Partner's link is active on /partner pages other than billing.
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
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  useEffect(close, [location.pathname, close]);

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="lg">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {/* The navigation comes first in the page: Tab from the top reaches it right after the skip link. */}
      <AppShell.Navbar p="sm" bg="#16202e" c="#c9d3df">
        <AppShell.Section grow component={ScrollArea}>
          <nav aria-label="Main">
            <Stack gap="md">
              {navGroups.map((group) => {
                const items = group.items.filter((item) => !item.needs || can(item.needs));
                if (items.length === 0) return null;
                return (
                  <div key={group.label}>
                    <Text size="xs" tt="uppercase" fw={600} c="#8a96a8" px="sm" mb={4}>
                      {group.label}
                    </Text>
                    {items.map((item) => (
                      <NavItemLink key={item.to} item={item} />
                    ))}
                  </div>
                );
              })}
            </Stack>
          </nav>
        </AppShell.Section>
        <AppShell.Section>
          <Anchor href="/api/docs" size="sm" c="#c9d3df" px="sm">
            API documentation
          </Anchor>
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Header px="md">
        <Group h="100%" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={opened ? 'Close navigation' : 'Open navigation'} />
            <Group gap={8}>
              <span className="brand-mark" aria-hidden="true">
                SB
              </span>
              <Text fw={650}>Switchboard</Text>
            </Group>
          </Group>
          <UserMenu />
        </Group>
      </AppShell.Header>
      <AppShell.Main id="main" tabIndex={-1} bg="#f5f7fa">
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}

function NavItemLink({ item }: { item: NavItem }) {
  const location = useLocation();
  // /partner stays unmarked on /partner/billing, which has its own entry.
  const active = item.end ? location.pathname === item.to : (location.pathname === item.to || location.pathname.startsWith(`${item.to}/`)) && !(item.to === '/partner' && location.pathname.startsWith('/partner/billing'));
  return (
    <NavLink
      component={RouterNavLink}
      to={item.to}
      end={item.end}
      label={item.label}
      active={active}
      variant="filled"
      color="switchboard"
      className="nav-link"
      styles={{ root: { borderRadius: 6, color: active ? 'white' : '#c9d3df' }, label: { fontSize: 14 } }}
    />
  );
}

function UserMenu() {
  const actor = useActor();
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  const signOutMutation = useMutation({
    mutationFn: signOut,
    // Even if the server could not be told, this browser forgets the session.
    onSettled: () => {
      queryClient.clear();
      void navigate('/login?signedOut=1', { replace: true });
    },
  });

  return (
    <Menu position="bottom-end" width={240} shadow="md">
      <Menu.Target>
        <UnstyledButton className="user-menu-button" px="xs" py={4} style={{ borderRadius: 6 }}>
          <Group gap="xs">
            <Avatar size="sm" color="switchboard" radius="xl" aria-hidden="true">
              {actor.name.slice(0, 1).toUpperCase()}
            </Avatar>
            <span>
              <Text size="sm" fw={600} span display="block">
                {actor.name}
              </Text>{' '}
              <Text size="xs" c="dimmed" span display="block">
                {roleLabel(actor.role)}
              </Text>
            </span>
            <span aria-hidden="true">▾</span>
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          Signed in as {actor.name} · {roleLabel(actor.role)}
        </Menu.Label>
        <Menu.Item component="a" href="/api/docs">
          API documentation
        </Menu.Item>
        <Menu.Divider />
        <Menu.Item color="red" disabled={signOutMutation.isPending} onClick={() => signOutMutation.mutate()}>
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
