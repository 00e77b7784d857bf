import { Group, Pagination, Text } from '@mantine/core';

/** Offset paging as the API does it: { total, offset, limit }. */
export function Pager({ total, offset, limit, onChange, label }: { total: number; offset: number; limit: number; onChange: (offset: number) => void; label: string }) {
  if (total === 0) return null;
  const first = Math.min(offset + 1, total);
  const last = Math.min(offset + limit, total);
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <Group component="nav" className="pager" aria-label={`${label} pages`} gap="sm" justify="flex-end">
      <Text size="sm" c="dimmed" aria-live="polite">
        {first}–{last} of {total}
      </Text>
      {pages > 1 && (
        <Pagination
          size="sm"
          total={pages}
          value={Math.floor(offset / limit) + 1}
          onChange={(page) => onChange((page - 1) * limit)}
          getControlProps={(control) => ({ 'aria-label': control === 'previous' ? 'Previous' : control === 'next' ? 'Next' : control })}
          getItemProps={(page) => ({ 'aria-label': `Page ${page}` })}
        />
      )}
    </Group>
  );
}
