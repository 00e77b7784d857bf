// The BroadWorks AS of the flow-through bench (partner.bench.ts), in its own thread: the adapter is
// another machine, so its HTTP work must not share the event loop of the server being measured (in
// one thread the fetch client took about a sixth of the main thread's samples, profiled). It sends
// with undici's request, as the meetings bookings clients do; the requests on the wire are those
// the in-process client sends.
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'undici';

type Input = { url: string; authorization: string; requests: number; concurrency: number };

// 100 enterprises of 100 users, like a service provider's groups.
export const addXml = (i: number) => `<?xml version="1.0" encoding="UTF-8"?>
<provisioningRequest version="1.0"><user action="add"><userId>u${i}@bench.sp</userId><serviceProviderId>BenchSP</serviceProviderId><groupId>g${i % 100}</groupId><firstName>User</firstName><lastName>N${i}</lastName><email>u${i}@bench.example</email><primaryPhoneNumber>+1-555-${String(i).padStart(6, '0')}</primaryPhoneNumber><extension>${i}</extension></user></provisioningRequest>`;

// Imported by the bench for addXml too (for its in-process client): only a worker sends.
if (parentPort) {
  const { url, authorization, requests, concurrency } = workerData as Input;
  const dispatcher = new Agent({ connections: concurrency, pipelining: 1 });
  let next = 0;
  let failed = 0;
  const cpuBefore = process.threadCpuUsage();
  const started = performance.now();
  async function client() {
    for (let i = next++; i < requests; i = next++) {
      const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/xml', authorization }, body: addXml(i), dispatcher });
      const text = await response.body.text();
      if (response.statusCode !== 200 || !text.includes('<status>accepted</status>')) failed += 1;
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, client));
    const cpu = process.threadCpuUsage(cpuBefore);
    parentPort.postMessage({ type: 'done', ms: performance.now() - started, failed, clientCpuMs: (cpu.user + cpu.system) / 1000 });
  } catch (error) {
    parentPort.postMessage({ type: 'failed', error: String(error) });
  } finally {
    await dispatcher.close();
  }
}
