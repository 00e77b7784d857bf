import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createExternalClient, type ExternalExchange } from './external-client.ts';
import { createMetrics } from '../observability/metrics.ts';
import { AppError } from '../errors.ts';

describe('external HTTP client', () => {
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.setHeader('content-type', 'text/plain');
      res.end(`${req.method} ${req.headers.authorization ?? '-'}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('sends Basic auth, counts the call and reports the exchange', async () => {
    const metrics = createMetrics();
    const exchanges: ExternalExchange[] = [];
    const client = createExternalClient({ system: 'cms', metrics, auth: { type: 'basic', username: 'admin', password: 'pw' }, onExchange: (e) => exchanges.push(e) });
    const response = await client.request({ method: 'GET', url: `${base}/api/v1/system/status` });
    assert.equal(response.status, 200);
    assert.equal(response.body, `GET Basic ${Buffer.from('admin:pw').toString('base64')}`);
    assert.equal(exchanges.length, 1);
    assert.equal(exchanges[0].status, 200);
    const text = await metrics.registry.metrics();
    assert.match(text, /switchboard_external_api_calls_total\{system="cms",status="200"\} 1/);
    await client.close();
  });

  test('a refused connection and a timeout become UPSTREAM_UNREACHABLE with a reason', async () => {
    const client = createExternalClient({ system: 'cms', timeoutMs: 300 });
    await assert.rejects(client.request({ method: 'GET', url: 'http://127.0.0.1:1/x' }), (error: AppError) => {
      assert.equal(error.code, 'UPSTREAM_UNREACHABLE');
      assert.match(error.message, /connection refused/);
      return true;
    });
    await assert.rejects(client.request({ method: 'GET', url: `${base}/hang` }), (error: AppError) => {
      assert.match(error.message, /timed out/);
      return true;
    });
    await client.close();
  });
});
