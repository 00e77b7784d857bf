import { Fragment, useEffect, useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { listAudit, type AuditEvent } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Json } from '../components/Json.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { Pager } from '../components/Pager.tsx';
import { browserTimeZone, isoToLocalInput, localInputToIso, Time, TimeZoneNote } from '../components/Time.tsx';

const PAGE_SIZE = 50;
const knownActions = ['session.login', 'user.create', 'user.update', 'token.create', 'token.revoke', 'job.retry', 'job.cancel'];
const knownEntityTypes = ['user', 'api_token', 'job'];
const filterKeys = ['action', 'actor', 'entityType', 'from', 'to'] as const;
type FilterKey = (typeof filterKeys)[number];
type Filters = Record<FilterKey, string>;

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const show = (value: unknown) => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/** Before and after side by side; for two records, field by field with the changed ones marked. */
function Changes({ event }: { event: AuditEvent }) {
  const { before, after } = event;
  if ((before === null || isPlainObject(before)) && (after === null || isPlainObject(after))) {
    const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
    return (
      <table className="table table-compact changes">
        <caption className="visually-hidden">Changes of {event.action}</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => {
            const was = before?.[key];
            const now = after?.[key];
            const changed = before !== null && after !== null && JSON.stringify(was) !== JSON.stringify(now);
            return (
              <tr key={key} className={changed ? 'changed' : undefined}>
                <th scope="row">
                  <code>{key}</code>
                  {changed && <span className="visually-hidden"> (changed)</span>}
                </th>
                <td>{before === null ? <span className="muted">—</span> : <code className="value">{show(was)}</code>}</td>
                <td>{after === null ? <span className="muted">—</span> : <code className="value">{show(now)}</code>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    );
  }
  return (
    <div className="changes-raw">
      <div>
        <h3>Before</h3>
        <Json value={before} />
      </div>
      <div>
        <h3>After</h3>
        <Json value={after} />
      </div>
    </div>
  );
}

export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const applied = Object.fromEntries(filterKeys.map((key) => [key, params.get(key) ?? ''])) as Filters;
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const [form, setForm] = useState<Filters>({ ...applied, from: isoToLocalInput(applied.from), to: isoToLocalInput(applied.to) });
  const [expanded, setExpanded] = useState<Set<number>>(new Set());
  const appliedKey = filterKeys.map((key) => applied[key]).join('\u0000');
  // Back/forward changes the URL; the form follows it.
  useEffect(() => {
    setForm({ ...applied, from: isoToLocalInput(applied.from || null), to: isoToLocalInput(applied.to || null) });
  }, [appliedKey]);

  const audit = useQuery({
    queryKey: ['audit', applied, offset],
    queryFn: ({ signal }) => listAudit({ ...applied, offset, limit: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });

  const setSearch = (next: Partial<Filters> & { offset?: string }) => {
    const merged = new URLSearchParams(params);
    for (const [key, value] of Object.entries(next)) {
      if (value) merged.set(key, value);
      else merged.delete(key);
    }
    setParams(merged);
  };
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setSearch({
      action: form.action.trim(),
      actor: form.actor.trim(),
      entityType: form.entityType.trim(),
      from: localInputToIso(form.from) ?? '',
      // The "to" minute is inclusive: up to its last millisecond.
      to: form.to ? new Date(new Date(form.to).getTime() + 59_999).toISOString() : '',
      offset: '',
    });
  };
  const clear = () => setSearch({ action: '', actor: '', entityType: '', from: '', to: '', offset: '' });
  const filtered = filterKeys.some((key) => applied[key]);
  const toggle = (id: number) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const field = (key: FilterKey) => ({ value: form[key], onChange: (event: { target: { value: string } }) => setForm((current) => ({ ...current, [key]: event.target.value })) });

  return (
    <>
      <PageHeader title="Audit log" />
      <p className="page-intro">Every change made through Switchboard, by whom, and what it changed. Newest first.</p>

      <form className="filters" onSubmit={apply} aria-label="Filter the audit log">
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input id="audit-action" list="audit-actions" placeholder="e.g. user.create" {...field('action')} />
          <datalist id="audit-actions">
            {knownActions.map((action) => (
              <option key={action} value={action} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="audit-actor">Actor</label>
          <input id="audit-actor" placeholder="username or token:name" {...field('actor')} />
        </div>
        <div className="field">
          <label htmlFor="audit-entity-type">Entity type</label>
          <input id="audit-entity-type" list="audit-entity-types" placeholder="e.g. user" {...field('entityType')} />
          <datalist id="audit-entity-types">
            {knownEntityTypes.map((type) => (
              <option key={type} value={type} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="audit-from">From ({browserTimeZone})</label>
          <input id="audit-from" type="datetime-local" {...field('from')} />
        </div>
        <div className="field">
          <label htmlFor="audit-to">To ({browserTimeZone})</label>
          <input id="audit-to" type="datetime-local" {...field('to')} />
        </div>
        <div className="filters-actions">
          <button type="submit" className="button button-primary">
            Apply filters
          </button>
          {filtered && (
            <button type="button" className="button button-secondary" onClick={clear}>
              Clear
            </button>
          )}
        </div>
      </form>

      <ErrorNotice error={audit.error} title="Could not load the audit log" />

      {audit.isPending ? (
        <p role="status">Loading the audit log…</p>
      ) : audit.data && audit.data.items.length === 0 ? (
        <section className="empty-state">
          <p>{filtered ? 'No events match these filters.' : 'Nothing has been audited yet.'}</p>
        </section>
      ) : audit.data ? (
        <>
          <div className="table-wrap">
            <table className="table audit-table">
              <caption className="visually-hidden">Audit events, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Entity</th>
                  <th scope="col">Tracking ID</th>
                  <th scope="col">
                    <span className="visually-hidden">Changes</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {audit.data.items.map((event) => {
                  const hasChanges = event.before !== null || event.after !== null;
                  const open = expanded.has(event.id);
                  return (
                    <Fragment key={event.id}>
                      <tr className={open ? 'row-open' : undefined}>
                        <td className="nowrap">
                          <Time value={event.at} />
                        </td>
                        <td>
                          {event.actorName}
                          <span className="row-sub">{event.actorType}</span>
                        </td>
                        <td>
                          <code>{event.action}</code>
                        </td>
                        <td>
                          {event.entityType}
                          {event.entityId && <span className="row-sub mono">{event.entityId}</span>}
                        </td>
                        <td>{event.trackingId ? <code className="tracking-id">{event.trackingId}</code> : <span className="muted">—</span>}</td>
                        <td className="nowrap">
                          {hasChanges && (
                            <button type="button" className="button button-small button-secondary" aria-expanded={open} aria-controls={open ? `audit-changes-${event.id}` : undefined} onClick={() => toggle(event.id)}>
                              {open ? 'Hide changes' : 'Show changes'}
                            </button>
                          )}
                        </td>
                      </tr>
                      {open && (
                        <tr className="row-detail" id={`audit-changes-${event.id}`}>
                          <td colSpan={6}>
                            <Changes event={event} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
          <div className="table-foot">
            <TimeZoneNote />
            <Pager label="Audit log" total={audit.data.total} offset={offset} limit={PAGE_SIZE} onChange={(next) => setSearch({ offset: next ? String(next) : '' })} />
          </div>
        </>
      ) : null}
    </>
  );
}
