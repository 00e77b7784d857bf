import { useMemo, useState, type ReactNode } from 'react';
import { Group, Table, TextInput, VisuallyHidden } from '@mantine/core';
import { EmptyState } from './EmptyState.tsx';
import { Pager } from './Pager.tsx';

// The console's one table: columns that sort, a search box, and paging — client-side for a list
// already in hand, or the API's offset paging (`paging`) for lists the server pages.

export type Column<T> = {
  key: string;
  header: ReactNode;
  render: (row: T) => ReactNode;
  /** Makes the column sortable (by this value). */
  sortValue?: (row: T) => string | number | null | undefined;
  /** What the search box matches against. */
  searchValue?: (row: T) => string | null | undefined;
  numeric?: boolean;
  width?: number | string;
};

type Sort = { key: string; direction: 'asc' | 'desc' };

export type DataTableProps<T> = {
  /** Names the table for screen readers (its caption). */
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  /** Search box over the rows in hand (the columns' searchValue). */
  searchable?: boolean;
  searchLabel?: string;
  /** Client-side page size; absent: every row. Ignored with `paging`. */
  pageSize?: number;
  /** The API's paging: the table shows what it was given and asks for another offset. */
  paging?: { total: number; offset: number; limit: number; onChange: (offset: number) => void };
  empty?: { title: string; description?: ReactNode; action?: ReactNode };
  /** Shown under the table beside the pager (e.g. the time-zone note). */
  footer?: ReactNode;
  initialSort?: Sort;
  rowProps?: (row: T) => Record<string, unknown>;
};

function compare(a: string | number | null | undefined, b: string | number | null | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

export function DataTable<T>({ caption, columns, rows, rowKey, searchable, searchLabel, pageSize, paging, empty, footer, initialSort, rowProps }: DataTableProps<T>) {
  const [sort, setSort] = useState<Sort | null>(initialSort ?? null);
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);

  const shown = useMemo(() => {
    let out = rows;
    const needle = search.trim().toLowerCase();
    if (needle) {
      const searchable = columns.filter((c) => c.searchValue);
      out = out.filter((row) => searchable.some((c) => (c.searchValue!(row) ?? '').toLowerCase().includes(needle)));
    }
    const column = sort && columns.find((c) => c.key === sort.key);
    if (column?.sortValue) {
      const factor = sort!.direction === 'asc' ? 1 : -1;
      out = [...out].sort((a, b) => factor * compare(column.sortValue!(a), column.sortValue!(b)));
    }
    return out;
  }, [rows, columns, search, sort]);

  const clientPaged = !paging && pageSize !== undefined;
  const page = clientPaged ? shown.slice(offset, offset + pageSize) : shown;
  const toggle = (key: string) => setSort((current) => (current?.key === key ? (current.direction === 'asc' ? { key, direction: 'desc' } : null) : { key, direction: 'asc' }));

  if (rows.length === 0 && empty) return <EmptyState title={empty.title} action={empty.action}>{empty.description}</EmptyState>;

  return (
    <>
      {searchable && (
        <TextInput
          label={searchLabel ?? 'Search'}
          placeholder="Type to filter the rows shown"
          value={search}
          onChange={(event) => {
            setSearch(event.currentTarget.value);
            setOffset(0);
          }}
          maw={360}
          mb="sm"
        />
      )}
      <Table.ScrollContainer minWidth={560}>
        <Table className="table" striped highlightOnHover verticalSpacing="xs">
          <VisuallyHidden component="caption">{caption}</VisuallyHidden>
          <Table.Thead>
            <Table.Tr>
              {columns.map((column) => {
                const sorted = sort?.key === column.key ? sort.direction : null;
                return (
                  <Table.Th key={column.key} scope="col" w={column.width} ta={column.numeric ? 'right' : undefined} aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}>
                    {column.sortValue ? (
                      <button type="button" className="sortable-header" onClick={() => toggle(column.key)}>
                        {column.header}
                        <span aria-hidden="true">{sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕'}</span>
                      </button>
                    ) : (
                      column.header
                    )}
                  </Table.Th>
                );
              })}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {page.map((row) => (
              <Table.Tr key={rowKey(row)} {...(rowProps?.(row) ?? {})}>
                {columns.map((column) => (
                  <Table.Td key={column.key} ta={column.numeric ? 'right' : undefined}>
                    {column.render(row)}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {shown.length === 0 && search && <EmptyState title="Nothing matches the search">Clear the search box, or search for part of a name.</EmptyState>}
      <Group justify="space-between" align="center" mt="xs" wrap="wrap">
        <div>{footer}</div>
        {paging ? <Pager label={caption} {...paging} /> : clientPaged ? <Pager label={caption} total={shown.length} offset={offset} limit={pageSize} onChange={setOffset} /> : null}
      </Group>
    </>
  );
}
