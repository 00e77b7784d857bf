import type { ReactNode } from 'react';
import { Paper, Stack, Text, Title } from '@mantine/core';

/** What an empty list means and what to do about it: a title, one sentence, and the action. */
export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <Paper className="empty-state" bg="var(--mantine-color-gray-0)" ta="center" py="xl">
      <Stack gap="xs" align="center">
        <Title order={2} fz="lg">
          {title}
        </Title>
        {children && (
          <Text c="dimmed" size="sm" maw={520}>
            {children}
          </Text>
        )}
        {action}
      </Stack>
    </Paper>
  );
}
