import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

// A small HTTP forward proxy for tests: CONNECT tunnels and absolute-form requests, optional Basic
// proxy authentication (407 otherwise), and a record of what it was asked to do.
export type ProxiedRequest = { method: string; target: string; proxyAuthorization: string | undefined; allowed: boolean };
export type ForwardProxy = { host: string; port: number; requests: ProxiedRequest[]; stop(): Promise<void> };

export async function startForwardProxy(options: { username?: string; password?: string } = {}): Promise<ForwardProxy> {
  const requests: ProxiedRequest[] = [];
  const expected = options.username ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}` : undefined;
  const sockets = new Set<net.Socket>();
  const allowed = (header: string | undefined) => expected === undefined || header === expected;

  const server = http.createServer((req, res) => {
    const header = req.headers['proxy-authorization'];
    const ok = allowed(header);
    requests.push({ method: req.method ?? '', target: req.url ?? '', proxyAuthorization: header, allowed: ok });
    if (!ok) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: target.pathname + target.search, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const header = req.headers['proxy-authorization'];
    const ok = allowed(header);
    requests.push({ method: 'CONNECT', target: req.url ?? '', proxyAuthorization: header, allowed: ok });
    if (!ok) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    requests,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
