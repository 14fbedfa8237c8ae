/**
 * The dressed reference's answer (bench/reference-server.ts with DRESSED): the reference's answer
 * with what roster owes every answer added by hand, each part only when named, and only its own
 * work: roster's security headers for JSON answers and a request id (headers); one access line
 * through pino, roster's fields, to stdout (log); one observation of a prom-client histogram with
 * roster's labels and buckets (metrics). The request id is made when headers or log need it; the
 * request's duration only when log or metrics do. Not part of roster.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { Histogram, Registry } from 'prom-client';
import { apiSecurityHeaders } from '../src/apis/shared/browser.js';
import { REQUEST_ID_HEADER, requestIdOf } from '../src/infra/request-id.js';

export type Answer = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown) => void;

/** `parts`: headers, log, metrics. The request carries `started` (process.hrtime.bigint()) when log or metrics is named. */
export function dressedAnswer(parts: Set<string>, port: string): Answer {
  const headers = parts.has('headers');
  const security = headers ? apiSecurityHeaders(`http://127.0.0.1:${port}`) : {};
  const log = parts.has('log') ? pino({ level: 'info' }) : undefined;
  const requests = parts.has('metrics')
    ? new Histogram({
        name: 'roster_http_request_duration_seconds',
        help: 'HTTP requests by route pattern and status, with their duration',
        labelNames: ['method', 'route', 'status'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [new Registry()],
      })
    : undefined;
  return (req, res, status, body) => {
    const out = JSON.stringify(body);
    const requestId = headers || log ? requestIdOf(req) : undefined;
    res.writeHead(status, {
      ...security,
      ...(headers && { [REQUEST_ID_HEADER]: requestId }),
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(out),
    });
    res.end(out);
    if (!log && !requests) return;
    const ms = Number(process.hrtime.bigint() - (req as IncomingMessage & { started: bigint }).started) / 1e6;
    requests?.observe({ method: req.method ?? 'POST', route: '/v1/widget/user', status: String(status) }, ms / 1000);
    log?.info({ requestId, method: req.method, url: req.url, status, ms: Math.round(ms * 10) / 10, ip: req.socket.remoteAddress }, 'request');
  };
}
