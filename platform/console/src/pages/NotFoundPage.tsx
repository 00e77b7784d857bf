import { Link } from 'react-router';
import { Button } from '@mantine/core';
import { EmptyState } from '../components/EmptyState.tsx';
import { PageHeader } from '../components/PageHeader.tsx';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState
        title="There is no console page at this address"
        action={
          <Button component={Link} to="/">
            Go to Home
          </Button>
        }
      >
        The link may be old or mistyped. Home lists what needs attention in every area, with links to each.
      </EmptyState>
    </>
  );
}
