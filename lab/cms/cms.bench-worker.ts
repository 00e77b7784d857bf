// Runs a simulated CMS cluster in its own thread so a load generator in the main thread does not share
// its event loop: the numbers are what one core of simulator sustains.
import { parentPort, workerData } from 'node:worker_threads';
import { createCmsCluster } from './cms.cluster.ts';

const { spaces } = workerData as { spaces: number };
const cluster = await createCmsCluster({ name: 'bench', nodes: [{ name: 'bench-1' }], tickMs: 0, traceCapacity: Number(process.env.CMS_TRACE_CAP ?? 2000) });
await cluster.start();
for (let i = 0; i < spaces; i++) cluster.store.create('coSpaces', new Map([['name', `Bench space ${i}`], ['uri', `bench.${i}`], ['callId', String(100_000 + i)]]));
parentPort!.postMessage({ baseUrl: cluster.nodes[0].baseUrl });
parentPort!.on('message', async (message: string) => {
  if (message === 'stop') {
    await cluster.stop();
    parentPort!.postMessage({ stopped: true });
  }
});
