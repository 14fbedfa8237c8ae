/**
 * The framework's share of the gap (bench/run.ts, phase `fastify`): the reference server's work
 * (bench/reference-work.ts) as a route of a bare Fastify app, the framework roster runs on: its
 * router, JSON body parser, request and reply objects and default serializer, and nothing roster
 * adds (no logging, hooks, schemas, security headers, CORS, request ids or metrics). Its rate
 * against the hand-written reference is the framework's own cost; roster's against it, the cost of
 * what roster does on top.
 *
 * Env: PORT and reference-work.ts's. Started by bench/run.ts as a child process; not part of roster.
 */
import Fastify from 'fastify';
import { authorized, env, widgetAnswer } from './reference-work.js';

const app = Fastify({ logger: false });
app.post('/', (req, reply) => {
  if (!authorized(req.headers.authorization)) return reply.code(401).send({ message: ['unauthorized'], status: 0 });
  const out = widgetAnswer(req.body);
  return reply.code(out.status).send(out.body);
});
await app.listen({ port: Number(env('PORT')), host: '127.0.0.1' });
