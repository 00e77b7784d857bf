// The clients of the bookings-per-second bench (meetings.bench.ts), in their own thread: booking
// clients are other machines, so their HTTP work must not share Switchboard's event loop (in one
// thread the fetch client took a fifth of the loop the server is measured on). They send with
// undici's request, not fetch: on 2 cores the fetch clients' thread was 80 % busy and took CPU from
// the server being measured; the requests on the wire are the same.
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'undici';

// `urls`: the Switchboard instances; client n books through urls[n % urls.length].
type Input = { urls: string[]; token: string; bridgeIds: string[]; bookings: number; clients: number };
const { urls, token, bridgeIds, bookings, clients } = workerData as Input;

const latencies: number[] = [];
let refused = 0;
let next = 0;
const dispatcher = new Agent({ connections: clients, pipelining: 1 });
const started = performance.now();
async function client(_: unknown, n: number) {
  const url = urls[n % urls.length];
  while (next < bookings) {
    const i = next++;
    // Spread over 26 days and 12 hours of each bridge: conflicts are checked, none is refused.
    const k = Math.floor(i / bridgeIds.length);
    const day = k % 30;
    const hour = 6 + ((k * 7) % 12);
    const body = { title: `Bench ${i}`, start: `2026-03-${String(3 + (day % 26)).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00`, durationMinutes: 60, timeZone: 'Europe/Berlin', bridgeId: bridgeIds[i % bridgeIds.length] };
    const t0 = performance.now();
    const response = await request(`${url}/api/v1/meetings/bookings`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body), dispatcher });
    const text = await response.body.text();
    latencies.push(performance.now() - t0);
    if (response.statusCode === 409) refused++;
    else if (response.statusCode !== 201) throw new Error(`booking failed: ${response.statusCode} ${text}`);
  }
}
try {
  await Promise.all(Array.from({ length: clients }, client));
  parentPort!.postMessage({ type: 'done', seconds: (performance.now() - started) / 1000, latencies, refused });
} catch (error) {
  parentPort!.postMessage({ type: 'failed', error: String(error) });
}
