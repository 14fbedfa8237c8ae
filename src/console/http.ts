/** The console's HTTP helpers: its cookies, a page's context, and sending a page. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import { html, type PageContext } from './ui.js';

export const SESSION_COOKIE = 'roster_admin';
export const CSRF_COOKIE = 'roster_admin_csrf';
export const CONSOLE_PATH = '/admin';

/** Whether the browser reached us over https (X-Forwarded-Proto counts only from a proxy TRUST_PROXY trusts). */
export const isHttps = (req: FastifyRequest): boolean => req.protocol === 'https';

export const cookieOptions = (req: FastifyRequest) => ({ path: CONSOLE_PATH, httpOnly: true, sameSite: 'strict' as const, secure: isHttps(req) });

/** What every page needs: a CSRF token for its forms (its secret cookie set when new), who is signed in. */
export function contextOf(req: FastifyRequest, reply: FastifyReply): PageContext {
  return { csrf: reply.generateCsrf(cookieOptions(req)), operator: req.operator?.operator.email, path: req.url.split('?')[0] ?? '' };
}

/** Sends a page: HTML, never cached (it may hold a secret shown once). */
export function sendPage(reply: FastifyReply, node: VNode, status = 200): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html(node));
}
