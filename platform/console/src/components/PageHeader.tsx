import { useEffect, type ReactNode } from 'react';
import { Group, Title } from '@mantine/core';

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Switchboard`;
  }, [title]);
  return (
    <Group component="header" className="page-header" justify="space-between" align="center" mb="md" wrap="wrap" gap="sm">
      <Title order={1} fz={26}>
        {title}
      </Title>
      {children ? <Group gap="sm">{children}</Group> : null}
    </Group>
  );
}
