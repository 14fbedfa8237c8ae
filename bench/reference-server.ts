/**
 * The limit for roster's widget path (bench/run.ts): a minimal server written by hand on node:http
 * that does the work POST /v1/widget/user does for a returning user (bench/reference-work.ts), and
 * nothing else: no framework, no logging, no validation library.
 *
 * With DRESSED=1 (phase `dressed`) it also does, by hand and nothing more, what roster owes every
 * answer whatever framework serves it: the security headers roster sends on a JSON answer and a
 * request id (roster's own `apiSecurityHeaders` and `requestIdOf`), one access line through pino
 * (the fields of roster's, to stdout), and one observation of a prom-client histogram (roster's
 * labels and buckets). Its rate against the plain server's is the most any roster with those
 * obligations could reach on node:http, framework or not.
 *
 * Env: PORT, DRESSED (1, or a comma list of headers, log, metrics), and reference-work.ts's. Started by bench/run.ts as a child process; not part of roster.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pino from 'pino';
import { Histogram, Registry } from 'prom-client';
import { apiSecurityHeaders } from '../src/apis/shared/browser.js';
import { REQUEST_ID_HEADER, requestIdOf } from '../src/infra/request-id.js';
import { authorized, env, widgetAnswer } from './reference-work.js';

type Answer = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown) => void;

function plain(_req: IncomingMessage, res: ServerResponse, status: number, body: unknown) {
  const out = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out) });
  res.end(out);
}

/** What DRESSED names: `1` for all three, or a comma list of headers, log, metrics (to weigh each alone). */
function dressed(parts: Set<string>): Answer {
  const security = parts.has('headers') ? apiSecurityHeaders(`http://127.0.0.1:${env('PORT')}`) : {};
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
    const started = (req as IncomingMessage & { started: bigint }).started;
    const out = JSON.stringify(body);
    const requestId = requestIdOf(req);
    res.writeHead(status, {
      ...security,
      ...(parts.has('headers') && { [REQUEST_ID_HEADER]: requestId }),
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(out),
    });
    res.end(out);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    requests?.observe({ method: req.method ?? 'POST', route: '/v1/widget/user', status: String(status) }, ms / 1000);
    log?.info({ requestId, method: req.method, url: req.url, status, ms: Math.round(ms * 10) / 10, ip: req.socket.remoteAddress }, 'request');
  };
}

const DRESSED = process.env.DRESSED !== undefined && process.env.DRESSED !== '';
const answer: Answer = DRESSED
  ? dressed(new Set(process.env.DRESSED === '1' ? ['headers', 'log', 'metrics'] : process.env.DRESSED!.split(',').map((p) => p.trim())))
  : plain;

createServer((req, res) => {
  if (DRESSED) (req as IncomingMessage & { started: bigint }).started = process.hrtime.bigint();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (!authorized(req.headers.authorization)) return answer(req, res, 401, { message: ['unauthorized'], status: 0 });
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return answer(req, res, 400, { message: ['bad json'], status: 0 });
    }
    const out = widgetAnswer(body);
    answer(req, res, out.status, out.body);
  });
}).listen(Number(env('PORT')), '127.0.0.1');
