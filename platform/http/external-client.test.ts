import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createExternalClient, type ExternalExchange } from './external-client.ts';
import { createMetrics } from '../observability/metrics.ts';
import { AppError } from '../errors.ts';
import { startForwardProxy } from '../../test/support/forward-proxy.ts';

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

  test('goes through an HTTP proxy with Basic proxy authentication; a wrong proxy password is refused', async () => {
    const proxy = await startForwardProxy({ username: 'px', password: 'secret' });
    const client = createExternalClient({ system: 'cssm', auth: { type: 'bearer', token: 't1' }, proxy: { host: proxy.host, port: proxy.port, username: 'px', password: 'secret' } });
    const response = await client.request({ method: 'POST', url: `${base}/through` });
    assert.equal(response.body, 'POST Bearer t1', 'the target saw the request and its own authorization');
    const target = new URL(base).host;
    assert.deepEqual(proxy.requests.map((r) => [r.method, r.target, r.allowed]), [['CONNECT', target, true]]);
    assert.equal(proxy.requests[0].proxyAuthorization, `Basic ${Buffer.from('px:secret').toString('base64')}`);
    await client.close();

    const wrong = createExternalClient({ system: 'cssm', timeoutMs: 2000, proxy: { host: proxy.host, port: proxy.port, username: 'px', password: 'nope' } });
    await assert.rejects(wrong.request({ method: 'GET', url: `${base}/x` }), (error: AppError) => {
      assert.equal(error.code, 'UPSTREAM_UNREACHABLE');
      assert.match(error.message, /through proxy 127\.0\.0\.1:\d+\): the proxy refused the credentials \(HTTP 407\)/);
      assert.equal((error.details as { network: string }).network, 'proxy-refused');
      return true;
    });
    assert.equal(proxy.requests.at(-1)?.allowed, false);
    await wrong.close();
    await proxy.stop();
  });

  test('a proxy that does not answer is UPSTREAM_UNREACHABLE with network "refused"', async () => {
    const client = createExternalClient({ system: 'cssm', timeoutMs: 2000, proxy: { host: '127.0.0.1', port: 1 } });
    await assert.rejects(client.request({ method: 'GET', url: `${base}/x` }), (error: AppError) => {
      assert.equal((error.details as { network: string }).network, 'refused');
      return true;
    });
    await client.close();
  });
});
