import { Alert, Code, Group, List, Text } from '@mantine/core';
import { ApiError } from '../api.ts';
import { issuesOf, plainIssue } from './form-errors.ts';

/** An API error as the user should see it: what happened, and the tracking ID to quote. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  if (!(error instanceof ApiError)) {
    return (
      <Alert color="red" variant="light" title={title ?? 'Something went wrong'} role="alert" className="notice notice-error" my="sm">
        {error instanceof Error ? error.message : String(error)}
      </Alert>
    );
  }
  const forbidden = error.status === 403 && error.code === 'FORBIDDEN';
  const issues = issuesOf(error.details);
  return (
    <Alert color="red" variant="light" title={forbidden ? 'Not allowed for your role' : (title ?? 'The request failed')} role="alert" className="notice notice-error" data-error-code={error.code} my="sm">
      <Text size="sm">{error.message}</Text>
      {issues.length > 0 && (
        <List size="sm" mt={4}>
          {issues.map((issue, index) => (
            <List.Item key={index}>{plainIssue(issue)}</List.Item>
          ))}
        </List>
      )}
      <Group gap="md" mt={6}>
        <Text size="xs" c="dimmed">
          Code <Code>{error.code}</Code>
        </Text>
        {error.trackingId && (
          <Text size="xs" c="dimmed">
            Tracking ID <Code className="tracking-id">{error.trackingId}</Code>
          </Text>
        )}
      </Group>
    </Alert>
  );
}
