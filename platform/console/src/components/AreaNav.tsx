import { NavLink } from 'react-router';
import { Button, Group } from '@mantine/core';
import { useCan } from '../session.tsx';
import type { Permission } from '../../../auth/roles.ts';

export interface AreaSection {
  to: string;
  label: string;
  /** Active only on this exact path (an area's overview), not on the pages under it. */
  end?: boolean;
  /** Hidden from roles without this permission. */
  needs?: Permission;
}

/**
 * An area's own pages, under its header. One look in every area: links (so they open in a new tab
 * and read as navigation to a screen reader), the current one filled.
 */
export function AreaNav({ label, sections, action }: { label: string; sections: AreaSection[]; action?: AreaSection }) {
  const can = useCan();
  const shown = sections.filter((s) => !s.needs || can(s.needs));
  const link = (s: AreaSection, idle: 'subtle' | 'light') => (
    <NavLink key={s.to} to={s.to} end={s.end} style={{ textDecoration: 'none' }}>
      {({ isActive }) => (
        <Button component="span" size="xs" variant={isActive ? 'filled' : idle}>
          {s.label}
        </Button>
      )}
    </NavLink>
  );
  return (
    <Group component="nav" aria-label={label} gap={4} mb="md" wrap="wrap">
      {shown.map((s) => link(s, 'subtle'))}
      {action && (!action.needs || can(action.needs)) ? link(action, 'light') : null}
    </Group>
  );
}
