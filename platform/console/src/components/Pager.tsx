/** Offset paging as the API does it: { total, offset, limit }. */
export function Pager({ total, offset, limit, onChange, label }: { total: number; offset: number; limit: number; onChange: (offset: number) => void; label: string }) {
  if (total === 0) return null;
  const first = Math.min(offset + 1, total);
  const last = Math.min(offset + limit, total);
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <span className="pager-range" aria-live="polite">
        {first}–{last} of {total}
      </span>
      <button type="button" className="button button-small" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        Previous
      </button>
      <button type="button" className="button button-small" disabled={offset + limit >= total} onClick={() => onChange(offset + limit)}>
        Next
      </button>
    </nav>
  );
}
