import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { writeReportInThread } from './billing.report-thread.ts';

// P16: the writer thread fails loudly and can be stopped (the job's cancel terminates it).

const input = { reportId: '00000000-0000-4000-8000-000000000000', billingPeriod: '2021-03', resellerName: 'R', customers: [] };

describe('billing report writer thread (P16)', () => {
  test("the thread's failure is the job's error, with the database's message", async () => {
    // Nothing listens on this port: the thread cannot connect.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(writeReportInThread(`postgres://postgres@127.0.0.1:${port}/none`, input, async () => {}, new AbortController().signal), /ECONNREFUSED/);
  });

  test('an abort (the job cancelled) rejects at once and stops the thread', async () => {
    // A server that accepts the connection and never answers: the thread would wait for ever.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => {
      sockets.push(socket);
      socket.resume(); // read (and drop) what the thread sends, so its end is seen
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const stop = new AbortController();
      const writing = writeReportInThread(`postgres://postgres@127.0.0.1:${(silent.address() as net.AddressInfo).port}/none`, input, async () => {}, stop.signal);
      while (sockets.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      stop.abort(new Error('cancelled by the test'));
      await assert.rejects(writing, /cancelled by the test/);
      // The stopped thread's connection closes.
      await new Promise<void>((resolve) => (sockets[0]!.destroyed ? resolve() : sockets[0]!.once('close', () => resolve())));
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
