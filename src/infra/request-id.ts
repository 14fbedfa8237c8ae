/**
 * Request ids: the client's `X-Request-Id` when it is sane (1 to 128 characters of
 * `[A-Za-z0-9._:-]`, nothing a log line or a header could be abused with), a new UUID otherwise.
 * Fastify makes it `req.id`: every log line of the request carries it (its child logger's
 * `reqId`), the events its writes record name it (originOf), and every answer returns it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const REQUEST_ID_HEADER = 'x-request-id';

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Whether a client's request id is one roster keeps. */
export function isSaneRequestId(value: unknown): value is string {
  return typeof value === 'string' && SANE.test(value);
}

/** Fastify's genReqId: the client's id when sane, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return isSaneRequestId(given) ? given : randomUUID();
}

/**
 * Returns the request id on every answer: set when the request arrives, so errors, 404s and
 * answers of every API carry it.
 */
export function echoRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', (req, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, req.id);
    done();
  });
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 414: 'URI Too Long', 500: 'Internal Server Error' };

/**
 * Fastify's `frameworkErrors`: what the router refuses before any route (and so any API's error
 * format) is known, a URL it cannot decode (400) or a path parameter over its length limit (414),
 * answered with Fastify's body as before, and now with the request id like every other answer.
 */
export function routerError(err: { statusCode?: number; code?: string; message: string }, req: { id: string }, reply: FastifyReply): void {
  const statusCode = err.statusCode ?? 400;
  void reply
    .code(statusCode)
    .header(REQUEST_ID_HEADER, req.id)
    .send({ error: STATUS_TEXT[statusCode] ?? 'Bad Request', code: err.code ?? 'FST_ERR_BAD_URL', message: err.message, statusCode });
}
