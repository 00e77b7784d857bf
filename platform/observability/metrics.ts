import client from 'prom-client';

// One registry per server instance (tests start several in one process).
export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'switchboard_' });
  const httpDuration = new client.Histogram({
    name: 'switchboard_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const externalCalls = new client.Counter({
    name: 'switchboard_external_api_calls_total',
    help: 'Calls to external systems (bridges, clouds, CSSM) by system and status',
    labelNames: ['system', 'status'] as const,
    registers: [registry],
  });
  const jobs = new client.Gauge({
    name: 'switchboard_jobs',
    help: 'Jobs by queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
  });
  return { registry, httpDuration, externalCalls, jobs };
}
