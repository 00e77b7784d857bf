import { Link } from 'react-router';
import { PageHeader } from '../components/PageHeader.tsx';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <section className="empty-state">
        <p>There is no console page at this address.</p>
        <p>
          <Link to="/jobs">Go to Jobs</Link>
        </p>
      </section>
    </>
  );
}
