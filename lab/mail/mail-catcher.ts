import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../platform/clock.ts';

// S2: a mail catcher. Switchboard sends its emails (activation, validation, approval requests) over
// real SMTP to this server on loopback; the Lab keeps them to browse and to click their links.

export type CaughtMail = { id: number; at: string; from: string; to: string[]; subject: string; text: string; raw: string };

function decodeQuotedPrintable(text: string) {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Headers and the first text/plain part of a message; enough for what Switchboard sends. */
export function parseMail(raw: string): { subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  let body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1] ?? '';
  let subject = header('Subject');
  const encoded = /^=\?utf-8\?([BQ])\?(.*)\?=$/i.exec(subject);
  if (encoded) subject = encoded[1]!.toUpperCase() === 'B' ? Buffer.from(encoded[2]!, 'base64').toString('utf8') : decodeQuotedPrintable(encoded[2]!.replace(/_/g, ' '));
  let encoding = header('Content-Transfer-Encoding').toLowerCase();
  const boundary = /boundary="?([^";]+)"?/i.exec(header('Content-Type'))?.[1];
  if (boundary) {
    const part = body.split(`--${boundary}`).find((p) => /content-type:\s*text\/plain/i.test(p)) ?? '';
    const at = part.indexOf('\r\n\r\n');
    encoding = /content-transfer-encoding:\s*(\S+)/i.exec(part.slice(0, at))?.[1]?.toLowerCase() ?? '';
    body = part.slice(at + 4);
  }
  const text = encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body;
  return { subject, text: Buffer.from(text, 'latin1').toString('utf8').trim() };
}

export type MailCatcher = ReturnType<typeof createMailCatcher>;

export function createMailCatcher(options: { clock: Clock; host?: string; port?: number }) {
  const messages: CaughtMail[] = [];
  let nextId = 1;
  let port = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('latin1');
        const parsed = parseMail(raw);
        messages.push({
          id: nextId++,
          at: options.clock.now().toISOString(),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          ...parsed,
          raw,
        });
        if (messages.length > 1000) messages.shift();
        callback();
      });
    },
  });
  return {
    messages,
    get port() {
      return port;
    },
    /** Messages caught before a restart (the Lab's saved state), numbered on from the last. */
    restore(saved: CaughtMail[]) {
      messages.push(...saved);
      nextId = Math.max(nextId, ...saved.map((m) => m.id + 1));
    },
    /** Messages to one address, oldest first. */
    to(address: string) {
      return messages.filter((m) => m.to.some((t) => t.toLowerCase() === address.toLowerCase()));
    },
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
      });
      port = (server.server.address() as AddressInfo).port;
      return { host: options.host ?? '127.0.0.1', port };
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** S2: where activation texts go. A sink, not a carrier: it keeps them to browse. */
export function createSmsSink(clock: Clock) {
  const messages: { id: number; at: string; to: string; text: string }[] = [];
  let nextId = 1;
  return {
    messages,
    async send(to: string, text: string) {
      messages.push({ id: nextId++, at: clock.now().toISOString(), to, text });
      if (messages.length > 1000) messages.shift();
    },
    to: (number: string) => messages.filter((m) => m.to === number),
    /** Texts sent before a restart (the Lab's saved state), numbered on from the last. */
    restore(saved: typeof messages) {
      messages.push(...saved);
      nextId = Math.max(nextId, ...saved.map((m) => m.id + 1));
    },
  };
}
export type SmsSink = ReturnType<typeof createSmsSink>;
