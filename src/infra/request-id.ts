/**
 * Request ids: the client's `X-Request-Id` when it is sane (1 to 128 characters of
 * `[A-Za-z0-9._:-]`, nothing a log line or a header could be abused with), a new UUID otherwise.
 * Fastify makes it `req.id`: every log line of the request carries it (its child logger's
 * `reqId`), the events its writes record name it (originOf), and every answer returns it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

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
