// N simulated CMS bridges (one node each) in their own thread, for the start-lateness bench in
// meetings.bench.ts: the bridges are other machines, so they must not share Switchboard's event loop.
// Their traces stamp each request with the real time it arrived.
import { parentPort, workerData } from 'node:worker_threads';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';

const { count } = workerData as { count: number };
const clusters: CmsCluster[] = [];
for (let i = 0; i < count; i++) {
  const cluster = await createCmsCluster({ name: `bench-${i + 1}`, nodes: [{ name: `bench-${i + 1}`, host: '127.0.0.1', port: 0 }], traceCapacity: 10_000 });
  await cluster.start();
  cluster.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
  clusters.push(cluster);
}

/** What the bench asks: every POST /calls (when, for which space) and every DELETE of a call. */
function calls() {
  const posts: { at: number; coSpace: string; bridge: number }[] = [];
  let deletes = 0;
  clusters.forEach((cluster, bridge) => {
    for (const entry of cluster.trace(cluster.nodes[0].name)) {
      if (entry.method === 'POST' && entry.path === '/api/v1/calls') posts.push({ at: Date.parse(entry.at), coSpace: new URLSearchParams(entry.requestBody ?? '').get('coSpace') ?? '', bridge });
      else if (entry.method === 'DELETE' && /^\/api\/v1\/calls\/[^/]+$/.test(entry.path)) deletes++;
    }
  });
  return { posts, deletes };
}

parentPort!.postMessage({ type: 'ready', baseUrls: clusters.map((c) => c.nodes[0].baseUrl) });
parentPort!.on('message', async (message: { type: string }) => {
  if (message.type === 'calls') parentPort!.postMessage({ type: 'calls', ...calls() });
  if (message.type === 'stop') {
    for (const cluster of clusters) await cluster.stop();
    parentPort!.postMessage({ type: 'stopped' });
  }
});
