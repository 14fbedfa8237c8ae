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
 * obligations could reach on node:http, framework or not (bench/dressed-answer.ts, loaded only then).
 *
 * With PG_URL it runs the select on PostgreSQL instead (bench/widget-postgres.ts), through
 * bench/reference-pg.ts: one query per request, or with PG_COALESCE=1 concurrent lookups batched
 * as roster batches them.
 *
 * Env: PORT, DRESSED (1, or a comma list of headers, log, metrics), PG_URL, PG_POOL_SIZE, PG_COALESCE, and
 * reference-work.ts's. Started by bench/run.ts and bench/widget-postgres.ts as a child process; not part of roster.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Answer } from './dressed-answer.js';
import { answerFromRows, authorized, env, refOf, widgetAnswer, type RefAnswer } from './reference-work.js';

function plain(_req: IncomingMessage, res: ServerResponse, status: number, body: unknown) {
  const out = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out) });
  res.end(out);
}

const DRESSED = process.env.DRESSED !== undefined && process.env.DRESSED !== '';
// Loaded only when dressed: the plain server loads nothing of roster's, pino or prom-client.
const dressedParts = DRESSED
  ? new Set(process.env.DRESSED === '1' ? ['headers', 'log', 'metrics'] : process.env.DRESSED!.split(',').map((p) => p.trim()))
  : undefined;
const answer: Answer = dressedParts ? (await import('./dressed-answer.js')).dressedAnswer(dressedParts, env('PORT')) : plain;
const botId = env('BOT_ID');
// Loaded only on PostgreSQL, as the dressed parts are.
const lookup = process.env.PG_URL
  ? (await import('./reference-pg.js')).pgLookup(process.env.PG_URL, Number(process.env.PG_POOL_SIZE ?? 10), botId, process.env.PG_COALESCE === '1')
  : undefined;
/** The answer for `body` from PostgreSQL. */
async function pgAnswer(body: unknown): Promise<RefAnswer> {
  const ref = refOf(body);
  return typeof ref === 'string' ? answerFromRows(ref, await lookup!(ref)) : ref;
}

/** Whether a dressed part needs the request's duration (the access line, the metrics). */
const timed = dressedParts !== undefined && (dressedParts.has('log') || dressedParts.has('metrics'));

createServer((req, res) => {
  if (timed) (req as IncomingMessage & { started: bigint }).started = process.hrtime.bigint();
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
    if (!lookup) {
      const out = widgetAnswer(body);
      return answer(req, res, out.status, out.body);
    }
    pgAnswer(body).then(
      (out) => answer(req, res, out.status, out.body),
      () => answer(req, res, 503, { message: ['database'], status: 0 }),
    );
  });
}).listen(Number(env('PORT')), '127.0.0.1');
