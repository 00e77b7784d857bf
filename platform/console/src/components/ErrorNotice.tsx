import { ApiError } from '../api.ts';

type Issue = { path?: string; message?: string };

function issuesOf(details: unknown): Issue[] {
  if (typeof details !== 'object' || details === null || !('issues' in details)) return [];
  const issues = (details as { issues: unknown }).issues;
  return Array.isArray(issues) ? (issues as Issue[]) : [];
}

/** An API error as the user should see it: what happened, and the tracking ID to quote. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  if (!(error instanceof ApiError)) {
    return (
      <div className="notice notice-error" role="alert">
        <p className="notice-title">{title ?? 'Something went wrong'}</p>
        <p>{error instanceof Error ? error.message : String(error)}</p>
      </div>
    );
  }
  const forbidden = error.status === 403 && error.code === 'FORBIDDEN';
  const issues = issuesOf(error.details);
  return (
    <div className="notice notice-error" role="alert" data-error-code={error.code}>
      <p className="notice-title">{forbidden ? 'Not allowed for your role' : (title ?? 'The request failed')}</p>
      <p>{error.message}</p>
      {issues.length > 0 && (
        <ul className="notice-issues">
          {issues.map((issue, index) => (
            <li key={index}>
              {issue.path ? <code>{issue.path}</code> : null} {issue.message}
            </li>
          ))}
        </ul>
      )}
      <p className="notice-meta">
        <span>Code <code>{error.code}</code></span>
        {error.trackingId && (
          <span>
            Tracking ID <code className="tracking-id">{error.trackingId}</code>
          </span>
        )}
      </p>
    </div>
  );
}
