import formbody from '@fastify/formbody';
import { z } from 'zod';
import { AppError } from '../platform/errors.ts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HttpApp } from '../platform/http/app-types.ts';

// The pages a subscriber or a customer's admin opens from a text or an email — activation (P2),
// attach approval (P7), moving an existing account in (P6): plain HTML outside /api and /v1, HTML
// form posts, and a user's mistake shown as a page (never the API's JSON error).

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const page = (reply: FastifyReply, status: number, title: string, body: string) =>
  reply.status(status).type('text/html; charset=utf-8').send(`<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`);

/** The `:token` of a page's link (a sealed token: see each flow). */
export const tokenParams = z.strictObject({ token: z.string().min(10).max(4000) });

/** Runs a page's work; an AppError becomes an HTML page with its status and message under `title`. */
export type HtmlPage = (reply: FastifyReply, run: () => Promise<unknown>) => Promise<unknown>;

/** Registers pages in a scope that parses HTML form posts; `routes` adds them with the `html` wrapper. */
export function registerUserPages(app: HttpApp, title: string, routes: (scope: HttpApp, html: HtmlPage) => void) {
  return app.register(async (scope) => {
    await (scope as unknown as FastifyInstance).register(formbody);
    const html: HtmlPage = async (reply, run) => {
      try {
        return await run();
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        return page(reply, error.status, title, `<p role="alert">${escapeHtml(error.message)}</p>`);
      }
    };
    routes(scope as HttpApp, html);
  });
}
