import { Progress } from '@mantine/core';

const colors: Record<string, string> = { failed: 'red', completed: 'green', cancelled: 'gray', retry: 'yellow' };

export function ProgressBar({ percent, label, state }: { percent: number; label: string; state?: string }) {
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <Progress.Root size="md" style={{ flex: 1, minWidth: 80 }}>
      <Progress.Section value={value} color={colors[state ?? ''] ?? 'switchboard'} animated={state === 'active'} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={value} />
    </Progress.Root>
  );
}
