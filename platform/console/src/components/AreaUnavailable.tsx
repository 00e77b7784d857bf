import { useEffect } from 'react';

/** The honest page of an area that this build does not ship yet. */
export function AreaUnavailable({ area, summary }: { area: string; summary: string }) {
  useEffect(() => {
    document.title = `${area} · Switchboard`;
  }, [area]);
  return (
    <>
      <header className="page-header">
        <h1>{area}</h1>
      </header>
      <section className="empty-state" aria-labelledby="area-unavailable">
        <h2 id="area-unavailable">{area} is not yet available in this build</h2>
        <p>{summary}</p>
        <p>
          Its pages will appear here when the area ships. What the server offers today is described in the{' '}
          <a href="/api/docs">API documentation</a>.
        </p>
      </section>
    </>
  );
}
