import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Alert, Anchor, Badge, Button, Group, List, Paper, SimpleGrid, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { acknowledgeAttention, getAttention, type AttentionItem, type FirstStep } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { notifyError, notifySuccess } from '../components/feedback.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { formatAgo, formatTime } from '../components/Time.tsx';

// Home: what needs attention now in every area the user's role may read — one API call
// (GET /api/v1/attention), read again every 10 seconds — and, on an empty install, where to start.

const REFRESH_MS = 10_000;

const areaNames: Record<string, string> = { jobs: 'Jobs', meetings: 'Meetings', partner: 'Partner', licensing: 'Licensing', lab: 'Lab' };
const severityColor: Record<AttentionItem['severity'], string> = { critical: 'red', warning: 'orange', info: 'blue' };
const severityRank: Record<AttentionItem['severity'], number> = { critical: 0, warning: 1, info: 2 };

export function HomePage() {
  const attention = useQuery({ queryKey: ['attention'], queryFn: ({ signal }) => getAttention(signal), refetchInterval: REFRESH_MS });
  const data = attention.data;
  const items = data ? [...data.items].sort((a, b) => Number(b.count > 0) - Number(a.count > 0) || severityRank[a.severity] - severityRank[b.severity]) : [];
  const open = items.filter((item) => item.count > 0);
  const stepsLeft = data ? data.firstSteps.filter((step) => !step.done) : [];

  return (
    <>
      <PageHeader title="Home">
        {data && (
          <Text size="xs" c="dimmed" className="live-indicator" title={`Refreshed every ${REFRESH_MS / 1000} seconds`}>
            Live · checked {formatTime(data.at)}
          </Text>
        )}
      </PageHeader>
      <Text c="dimmed" mb="md">
        What needs attention now in each area you can see, with the page where it is handled.
      </Text>

      <ErrorNotice error={attention.error} title="Could not read what needs attention" />
      {attention.isPending && <Text role="status">Checking every area…</Text>}
      {data?.unavailable.map((u) => (
        <Alert key={u.area} color="yellow" variant="light" title={`${areaNames[u.area] ?? u.area}: not known just now`} mb="sm">
          {u.message} The page tries again every {REFRESH_MS / 1000} seconds.
        </Alert>
      ))}

      {data && stepsLeft.length > 0 && <StartHere steps={data.firstSteps} />}

      {data && (
        <>
          {open.length === 0 && (
            <Alert color="green" variant="light" title="Nothing needs attention" mb="md" role="status">
              No open tickets, failed jobs, alerts, subscribers in error or Lab faults in the areas you can see.
            </Alert>
          )}
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
            {items.map((item) => (
              <AttentionCard key={item.key} item={item} />
            ))}
          </SimpleGrid>
        </>
      )}
    </>
  );
}

function AttentionCard({ item }: { item: AttentionItem }) {
  const queryClient = useQueryClient();
  const acknowledge = useMutation({
    mutationFn: (entry: { label: string; path: string }) => acknowledgeAttention(entry.path),
    onSuccess: (_result, entry) => {
      notifySuccess(`${entry.label} acknowledged. It no longer counts as needing attention.`);
      void queryClient.invalidateQueries({ queryKey: ['attention'] });
    },
    onError: (error) => notifyError(error, 'Could not acknowledge'),
  });
  const titleId = `attention-${item.key.replace(/\W/g, '-')}`;
  const where = areaNames[item.area] ?? item.area;
  const attentionNeeded = item.count > 0;

  return (
    <Paper component="section" aria-labelledby={titleId} className="attention-card" data-key={item.key} style={attentionNeeded ? { borderLeft: `4px solid var(--mantine-color-${severityColor[item.severity]}-6)` } : undefined}>
      <Group justify="space-between" align="flex-start" mb="xs">
        <div>
          <Badge variant="light" color="gray" size="xs" mb={4}>
            {where}
          </Badge>
          <Title order={2} fz="md" id={titleId}>
            {item.title}
          </Title>
        </div>
        <Text className="attention-count" c={attentionNeeded ? `${severityColor[item.severity]}.7` : 'dimmed'} aria-label={`${item.count} ${item.title.toLowerCase()}`}>
          {item.count}
        </Text>
      </Group>
      <Text size="sm" c="dimmed">
        {attentionNeeded ? item.summary : `None right now (${item.summary}).`}
        {item.acknowledged ? ` ${item.acknowledged} acknowledged.` : ''}
      </Text>
      {item.entries.length > 0 && (
        <List size="sm" spacing={6} mt="sm" listStyleType="none" ml={0} pl={0}>
          {item.entries.map((entry) => (
            <List.Item key={entry.id}>
              <Group gap="xs" wrap="nowrap" justify="space-between" align="flex-start">
                <div style={{ minWidth: 0 }}>
                  {entry.href ? (
                    <Anchor component={Link} to={entry.href} size="sm" fw={500}>
                      {entry.label}
                    </Anchor>
                  ) : (
                    <Text size="sm" fw={500}>
                      {entry.label}
                    </Text>
                  )}
                  {(entry.detail || entry.at) && (
                    <Text size="xs" c="dimmed" lineClamp={2}>
                      {entry.detail}
                      {entry.detail && entry.at ? ' · ' : ''}
                      {entry.at && <time dateTime={entry.at} title={formatTime(entry.at)}>{formatAgo(entry.at)}</time>}
                    </Text>
                  )}
                </div>
                {entry.acknowledge && (
                  <Button size="compact-xs" variant="default" aria-label={`Acknowledge ${entry.label}`} loading={acknowledge.isPending && acknowledge.variables?.path === entry.acknowledge} onClick={() => acknowledge.mutate({ label: entry.label, path: entry.acknowledge! })}>
                    Acknowledge
                  </Button>
                )}
              </Group>
            </List.Item>
          ))}
        </List>
      )}
      {/* Named by what it opens, never by the area: area pages' tests (and users' habits) find the
          navigation's area links by name, and a second link named "Licensing…" would be ambiguous. */}
      <Button component={Link} to={item.href} variant={attentionNeeded ? 'light' : 'subtle'} size="xs" mt="md" aria-label={`Open ${item.title.toLowerCase()}`} title={`Where ${item.title.toLowerCase()} are handled (${where})`}>
        Open
      </Button>
    </Paper>
  );
}

function StartHere({ steps }: { steps: FirstStep[] }) {
  const done = steps.filter((step) => step.done).length;
  return (
    <Paper component="section" aria-labelledby="start-here" mb="lg" bg="var(--mantine-color-switchboard-0)">
      <Group justify="space-between" mb="xs">
        <Title order={2} fz="lg" id="start-here">
          Start here
        </Title>
        <Text size="sm" c="dimmed">
          {done} of {steps.length} done
        </Text>
      </Group>
      <Text size="sm" mb="sm">
        Switchboard is set up step by step. These are the first steps in the areas your role can see; each is ticked off once it is done.
      </Text>
      <Stack gap="xs">
        {steps.map((step, index) => (
          <Group key={step.key} gap="sm" wrap="nowrap" align="flex-start">
            <ThemeIcon radius="xl" size="sm" color={step.done ? 'green' : 'switchboard'} variant={step.done ? 'filled' : 'light'} aria-hidden="true">
              <Text size="xs" fw={700}>{step.done ? '✓' : index + 1}</Text>
            </ThemeIcon>
            <div>
              {step.done ? (
                <Text size="sm" fw={600} td="line-through" c="dimmed">
                  {step.title} <Text span size="xs">(done)</Text>
                </Text>
              ) : (
                <Anchor component={Link} to={step.href} size="sm" fw={600}>
                  {step.title}
                </Anchor>
              )}
              <Text size="xs" c="dimmed">
                {step.description}
              </Text>
            </div>
          </Group>
        ))}
      </Stack>
    </Paper>
  );
}
