import nodemailer from 'nodemailer';
import type { Config } from '../config.ts';

/** Switchboard's outgoing email, over SMTP (the Lab's mail catcher, or the operator's relay). */
export type Mailer = { send(message: { to: string | string[]; subject: string; text: string }): Promise<void> };

export function createSmtpMailer(options: { host: string; port: number; from: string; secure?: boolean; user?: string; password?: string }): Mailer {
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure ?? false,
    ignoreTLS: !options.secure && options.host === '127.0.0.1',
    ...(options.user ? { auth: { user: options.user, pass: options.password ?? '' } } : {}),
  });
  return {
    async send(message) {
      await transport.sendMail({ from: options.from, to: message.to, subject: message.subject, text: message.text });
    },
  };
}

/** The SMTP relay of config (SWITCHBOARD_SMTP_URL, smtp://user:pass@host:port); null when unset. */
export function mailerFromConfig(config: Pick<Config, 'smtpUrl' | 'mailFrom'>): Mailer | null {
  const url = config.smtpUrl;
  if (!url) return null;
  const parsed = new URL(url);
  return createSmtpMailer({
    host: parsed.hostname,
    port: Number(parsed.port || (parsed.protocol === 'smtps:' ? 465 : 25)),
    secure: parsed.protocol === 'smtps:',
    user: decodeURIComponent(parsed.username) || undefined,
    password: decodeURIComponent(parsed.password) || undefined,
    from: config.mailFrom,
  });
}

/**
 * The platform's one outgoing mail: every area sends through `mailer()`. The relay of config
 * (SWITCHBOARD_SMTP_URL) by default; when the Lab runs, its mail catcher is registered as the
 * transport (`useTransport`) and takes precedence, so nothing leaves a Lab install. null when neither.
 */
export type MailService = { mailer(): Mailer | null; useTransport(transport: Mailer | null): void };

export function createMailService(config: Pick<Config, 'smtpUrl' | 'mailFrom'>): MailService {
  const relay = mailerFromConfig(config);
  let transport: Mailer | null = null;
  return {
    mailer: () => transport ?? relay,
    useTransport(next) {
      transport = next;
    },
  };
}
