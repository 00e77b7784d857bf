import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Alert, Group, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { BarChart, LineChart } from '@mantine/charts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { PartnerNav } from './PartnerNav.tsx';
import { getAnalytics, getTrends, packageLabels, packages } from './partner-api.ts';

// /partner/analytics — Partner Hub's analytics (P15): users per package now, and over time (end of
// each UTC day, week or month; 13 months kept). Days the snapshot job has not stored yet — today,
// and every day of a new installation — are counted from the subscriber history by the API, so the
// chart is there on day one. A table under each chart carries the numbers for screen readers.

const colours: Record<(typeof packages)[number], string> = { softphone: 'violet.6', basic: 'teal.6', standard: 'yellow.6', premium: 'orange.7' };
const series = packages.map((p) => ({ name: p, label: packageLabels[p], color: colours[p] }));
type Interval = 'daily' | 'weekly' | 'monthly';

export function AnalyticsPage() {
  const [interval, setInterval] = useState<Interval>('daily');
  const now = useQuery({ queryKey: ['partner', 'analytics'], queryFn: ({ signal }) => getAnalytics(signal), refetchInterval: 30_000 });
  const trends = useQuery({ queryKey: ['partner', 'trends', interval], queryFn: ({ signal }) => getTrends(interval, signal), placeholderData: keepPreviousData, refetchInterval: 60_000 });
  const perPackage = now.data?.usersPerPackage;
  const total = perPackage ? packages.reduce((sum, p) => sum + (perPackage[p] ?? 0), 0) : 0;
  const points = trends.data?.points ?? [];
  const counted = points.filter((p) => p.source === 'history').length;
  return (
    <>
      <PageHeader title="Analytics" />
      <PartnerNav />
      <ErrorNotice error={now.error ?? trends.error} title="Could not read the analytics" />
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="per-package">
          <Title order={2} fz="lg" id="per-package" mb="xs">
            Users per package
          </Title>
          <Text size="sm" c="dimmed" mb="sm">
            {total} provisioned users now.
          </Text>
          {perPackage && (
            <>
              <div aria-hidden="true">
                <BarChart h={220} data={packages.map((p) => ({ package: packageLabels[p], users: perPackage[p] ?? 0 }))} dataKey="package" series={[{ name: 'users', label: 'Users', color: 'switchboard.6' }]} withTooltip={false} />
              </div>
              <Table aria-label="Users per package" mt="sm" striped>
                <Table.Thead>
                  <Table.Tr>
                    {packages.map((p) => (
                      <Table.Th key={p} scope="col">
                        {packageLabels[p]}
                      </Table.Th>
                    ))}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  <Table.Tr>
                    {packages.map((p) => (
                      <Table.Td key={p}>{perPackage[p] ?? 0}</Table.Td>
                    ))}
                  </Table.Tr>
                </Table.Tbody>
              </Table>
            </>
          )}
        </Paper>
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="trends">
          <Group justify="space-between" mb="xs">
            <Title order={2} fz="lg" id="trends">
              Users per package over time
            </Title>
            <SegmentedControl
              aria-label="Interval"
              size="xs"
              value={interval}
              onChange={(v) => setInterval(v as Interval)}
              data={[
                { value: 'daily', label: 'Daily' },
                { value: 'weekly', label: 'Weekly' },
                { value: 'monthly', label: 'Monthly' },
              ]}
            />
          </Group>
          {trends.data && points.length === 0 && (
            <Alert variant="light" color="gray" title="Nothing to chart yet">
              No subscriber has been provisioned yet. The chart starts with the first one: provision a subscriber, or let BroadWorks send them.
            </Alert>
          )}
          {points.length > 0 && (
            <Stack gap="xs">
              <div aria-hidden="true" className="trend-chart">
                <LineChart h={260} data={points} dataKey="period" series={series} curveType="linear" withLegend withDots={points.length < 40} connectNulls />
              </div>
              {counted > 0 && (
                <Text size="xs" c="dimmed">
                  {counted === 1 ? 'The last point is' : `The last ${counted} points are`} counted from the subscriber history (today so far, or days not yet snapshotted at 00:15 UTC). Periods end in UTC.
                </Text>
              )}
              <Table aria-label="Users per package over time" striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Period</Table.Th>
                    {packages.map((p) => (
                      <Table.Th key={p} scope="col">
                        {packageLabels[p]}
                      </Table.Th>
                    ))}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {points.slice(-13).map((point) => (
                    <Table.Tr key={point.period}>
                      <Table.Td title={`as of the end of ${point.asOf} (UTC)${point.source === 'history' ? ', counted from the history' : ''}`}>{point.period}</Table.Td>
                      {packages.map((p) => (
                        <Table.Td key={p}>{point[p]}</Table.Td>
                      ))}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Stack>
          )}
        </Paper>
      </SimpleGrid>
    </>
  );
}
