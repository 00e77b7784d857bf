import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';
import type { AddressInfo } from 'node:net';
import { createExternalClient, normalizeFingerprint, probeCertificate, type ExternalExchange } from './external-client.ts';
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

// Issue #14 (M1, L4): how a connector trusts an HTTPS server — against real TLS servers.
describe('external HTTP client: TLS policies', () => {
  type Cert = { key: string; cert: string; fingerprint: string };
  const sans = { name: 'subjectAltName' as const, altNames: [{ type: 7 as const, ip: '127.0.0.1' }, { type: 2 as const, value: 'localhost' }] };
  async function selfSigned(cn: string): Promise<Cert> {
    const pems = await generate([{ name: 'commonName', value: cn }], { keyType: 'ec', algorithm: 'sha256', extensions: [{ name: 'basicConstraints', cA: false }, sans] });
    return { key: pems.private, cert: pems.cert, fingerprint: new X509Certificate(pems.cert).fingerprint256 };
  }
  let ca: { key: string; cert: string };
  let signed: Cert;
  let first: Cert;
  let second: Cert;
  let server: https.Server;
  let base: string;
  let requests: string[] = [];
  before(async () => {
    const caPems = await generate([{ name: 'commonName', value: 'Provider Internal Root CA' }], { keyType: 'ec', algorithm: 'sha256', extensions: [{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true }] });
    ca = { key: caPems.private, cert: caPems.cert };
    const leaf = await generate([{ name: 'commonName', value: 'cms1.provider.example' }], { keyType: 'ec', algorithm: 'sha256', ca, extensions: [{ name: 'basicConstraints', cA: false }, { name: 'extKeyUsage', serverAuth: true }, sans] });
    signed = { key: leaf.private, cert: leaf.cert, fingerprint: new X509Certificate(leaf.cert).fingerprint256 };
    first = await selfSigned('cms1');
    second = await selfSigned('cms1');
    server = https.createServer({ key: first.key, cert: first.cert }, (req, res) => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const present = (cert: Cert) => {
    server.setSecureContext({ key: cert.key, cert: cert.cert });
    server.closeAllConnections();
    requests = [];
  };
  const auth = { type: 'basic' as const, username: 'admin', password: 'secret' };

  test('normalizeFingerprint reads the forms operators paste', () => {
    const colon = first.fingerprint;
    assert.equal(normalizeFingerprint(colon.toLowerCase()), colon);
    assert.equal(normalizeFingerprint(colon.replace(/:/g, '')), colon);
    assert.equal(normalizeFingerprint(colon.replace(/:/g, ' ')), colon);
    assert.equal(normalizeFingerprint('AB:CD'), null);
  });

  test('probeCertificate reads the certificate without sending a request', async () => {
    present(first);
    const probed = await probeCertificate(base, { system: 'cms' });
    assert.equal(probed.fingerprint, first.fingerprint);
    assert.equal(probed.subject, 'CN=cms1');
    assert.equal(probed.selfSigned, true);
    assert.equal(probed.trusted, false);
    assert.match(probed.trustError!, /SELF_SIGNED/);
    assert.ok(Date.parse(probed.validTo) > Date.parse(probed.validFrom));
    assert.deepEqual(requests, [], 'only the handshake reached the server');
    await assert.rejects(probeCertificate('https://127.0.0.1:1', { system: 'cms' }), (error: AppError) => error.code === 'UPSTREAM_UNREACHABLE');
  });

  test('pinned: the pinned certificate is talked to; another one is refused before the credentials are sent', async () => {
    present(first);
    const client = createExternalClient({ system: 'cms', auth, tls: { mode: 'pinned', fingerprint: first.fingerprint.replace(/:/g, '').toLowerCase() } });
    assert.equal((await client.request({ method: 'GET', url: `${base}/api/v1/system/status` })).body, 'ok');
    present(second);
    await assert.rejects(client.request({ method: 'GET', url: `${base}/api/v1/system/status` }), (error: AppError) => {
      assert.equal(error.code, 'CERTIFICATE_CHANGED');
      const details = error.details as { pinnedFingerprint: string; certificate: { fingerprint: string } };
      assert.equal(details.pinnedFingerprint, first.fingerprint);
      assert.equal(details.certificate.fingerprint, second.fingerprint);
      return true;
    });
    assert.deepEqual(requests, [], 'the impostor got no request and no password');
    await client.close();
  });

  test('ca: a self-signed certificate is CERTIFICATE_NOT_TRUSTED; one signed by the operator\'s CA bundle is trusted', async () => {
    present(first);
    const strict = createExternalClient({ system: 'cms', auth });
    await assert.rejects(strict.request({ method: 'GET', url: `${base}/x` }), (error: AppError) => {
      assert.equal(error.code, 'CERTIFICATE_NOT_TRUSTED');
      assert.equal((error.details as { certificate: { fingerprint: string } }).certificate.fingerprint, first.fingerprint);
      return true;
    });
    present(signed);
    await assert.rejects(strict.request({ method: 'GET', url: `${base}/x` }), (error: AppError) => error.code === 'CERTIFICATE_NOT_TRUSTED', 'the internal CA is not a system CA');
    assert.deepEqual(requests, []);
    await strict.close();
    const withBundle = createExternalClient({ system: 'cms', auth, ca: ca.cert });
    assert.equal((await withBundle.request({ method: 'GET', url: `${base}/x` })).status, 200);
    assert.equal((await probeCertificate(base, { system: 'cms', ca: ca.cert })).trusted, true);
    await withBundle.close();
  });

  test('first-use: the first certificate is recorded before anything is sent, a different one later is refused', async () => {
    present(first);
    const seen: string[] = [];
    const client = createExternalClient({ system: 'cucm', auth, tls: { mode: 'first-use', onFirstUse: (certificate) => void seen.push(certificate.fingerprint) } });
    assert.equal((await client.request({ method: 'GET', url: `${base}/a` })).status, 200);
    server.closeAllConnections();
    assert.equal((await client.request({ method: 'GET', url: `${base}/b` })).status, 200);
    assert.deepEqual(seen, [first.fingerprint], 'recorded once');
    present(second);
    await assert.rejects(client.request({ method: 'GET', url: `${base}/c` }), (error: AppError) => error.code === 'CERTIFICATE_CHANGED');
    assert.deepEqual(requests, []);
    await client.close();
  });

  test('insecure: the operator\'s explicit escape hatch accepts any certificate', async () => {
    present(second);
    const client = createExternalClient({ system: 'cms', tls: { mode: 'insecure' } });
    assert.equal((await client.request({ method: 'GET', url: `${base}/x` })).status, 200);
    await client.close();
  });
});
