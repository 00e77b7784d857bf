// N simulated CMS bridges in their own thread, for the start-lateness bench in meetings.bench.ts: the
// bridges are other machines, so they must not share Switchboard's event loop. Each is a cluster of
// `nodes` call bridges that answers every API request after `latencyMs` (a real node is not
// instantaneous) and refuses (503, as a busy CMS) any request beyond `maxConcurrentRequests` in flight
// on a node, counting the peak it saw. Their traces stamp each request with the real time it arrived.
import { parentPort, workerData } from 'node:worker_threads';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';

const { count, nodes = 1, latencyMs = 0, maxConcurrentRequests = null } = workerData as { count: number; nodes?: number; latencyMs?: number; maxConcurrentRequests?: number | null };
const clusters: CmsCluster[] = [];
for (let i = 0; i < count; i++) {
  const cluster = await createCmsCluster({
    name: `bench-${i + 1}`,
    nodes: Array.from({ length: nodes }, (_, n) => ({ name: `bench-${i + 1}-${n + 1}`, host: '127.0.0.1', port: 0 })),
    traceCapacity: 10_000,
    variance: { maxConcurrentRequests },
  });
  await cluster.start();
  cluster.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
  if (latencyMs > 0) for (const node of cluster.nodes) await cluster.setFaults(node.name, { slowMs: latencyMs });
  clusters.push(cluster);
}

/**
 * What the bench asks: every POST /calls (when, for which space), every DELETE of a call, the real
 * time of every API request from `since` on, and each node's peak of requests in flight.
 */
function calls(since: number) {
  const posts: { at: number; coSpace: string; bridge: number; node: string }[] = [];
  const requests: number[] = [];
  let deletes = 0;
  clusters.forEach((cluster, bridge) => {
    for (const node of cluster.nodes) {
      for (const entry of cluster.trace(node.name)) {
        const at = Date.parse(entry.at);
        if (at >= since) requests.push(at);
        if (entry.status !== 200) continue;
        if (entry.method === 'POST' && entry.path === '/api/v1/calls') posts.push({ at, coSpace: new URLSearchParams(entry.requestBody ?? '').get('coSpace') ?? '', bridge, node: node.name });
        else if (entry.method === 'DELETE' && /^\/api\/v1\/calls\/[^/]+$/.test(entry.path)) deletes++;
      }
    }
  });
  const concurrency = clusters.flatMap((cluster) => cluster.concurrency());
  return { posts, deletes, requests, concurrency };
}

parentPort!.postMessage({ type: 'ready', baseUrls: clusters.map((c) => c.nodes[0].baseUrl) });
parentPort!.on('message', async (message: { type: string; since?: number }) => {
  if (message.type === 'calls') parentPort!.postMessage({ type: 'calls', ...calls(message.since ?? Infinity) });
  if (message.type === 'stop') {
    for (const cluster of clusters) await cluster.stop();
    parentPort!.postMessage({ type: 'stopped' });
  }
});
