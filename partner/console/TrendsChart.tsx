import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { request } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';

// P15: users per package over time (end of each UTC day, week or month; 13 months kept), from the
// daily snapshots. A table under the chart carries the same numbers for screen readers and copying.

const packages = ['softphone', 'basic', 'standard', 'premium'] as const;
const colours: Record<(typeof packages)[number], string> = { softphone: '#7b61ff', basic: '#2a9d8f', standard: '#e9c46a', premium: '#e76f51' };
type Point = { period: string; asOf: string } & Record<(typeof packages)[number], number>;

export function TrendsChart() {
  const [interval, setInterval] = useState<'daily' | 'weekly' | 'monthly'>('monthly');
  const trends = useQuery({ queryKey: ['partner', 'trends', interval], queryFn: () => request<{ points: Point[] }>(`/api/v1/partner/analytics/trends?interval=${interval}`) });
  const points = trends.data?.points ?? [];
  return (
    <section aria-labelledby="trends">
      <h2 id="trends">Users per package over time</h2>
      <div role="radiogroup" aria-label="Interval">
        {(['daily', 'weekly', 'monthly'] as const).map((i) => (
          <label key={i} style={{ marginRight: '1em' }}>
            <input type="radio" name="trend-interval" value={i} checked={interval === i} onChange={() => setInterval(i)} /> {i}
          </label>
        ))}
      </div>
      {trends.error ? <ErrorNotice error={trends.error} /> : null}
      {points.length === 0 ? (
        <p>No snapshots yet: the first is taken shortly after midnight UTC.</p>
      ) : (
        <>
          <div style={{ width: '100%', height: 280 }} aria-hidden="true">
            <ResponsiveContainer>
              <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="period" />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Legend />
                {packages.map((p) => (
                  <Line key={p} type="monotone" dataKey={p} stroke={colours[p]} dot={points.length < 40} isAnimationActive={false} />
                ))}
              </LineChart>
            </ResponsiveContainer>
          </div>
          <table className="table" aria-label="Users per package over time">
            <thead>
              <tr>
                <th scope="col">Period</th>
                {packages.map((p) => (
                  <th key={p} scope="col">
                    {p}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {points.slice(-13).map((point) => (
                <tr key={point.period}>
                  <td title={`as of ${point.asOf}`}>{point.period}</td>
                  {packages.map((p) => (
                    <td key={p}>{point[p]}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
