/**
 * The limit for roster's widget path (bench/run.ts): a minimal server written by hand on node:http
 * that does the work POST /v1/widget/user does for a returning user (bench/reference-work.ts), and
 * nothing else: no framework, no logging, no validation library.
 *
 * Env: PORT and reference-work.ts's. Started by bench/run.ts as a child process; not part of roster.
 */
import { createServer } from 'node:http';
import { authorized, env, widgetAnswer } from './reference-work.js';

function answer(res: import('node:http').ServerResponse, status: number, body: unknown) {
  const out = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out) });
  res.end(out);
}

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (!authorized(req.headers.authorization)) return answer(res, 401, { message: ['unauthorized'], status: 0 });
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return answer(res, 400, { message: ['bad json'], status: 0 });
    }
    const out = widgetAnswer(body);
    answer(res, out.status, out.body);
  });
}).listen(Number(env('PORT')), '127.0.0.1');
