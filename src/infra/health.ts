/**
 * Liveness (`/healthz`: the process answers, nothing else is checked, so a load balancer or an
 * orchestrator never restarts a node because its database is away) and readiness (`/readyz`: the
 * database answers too). Other dependencies can be reported on /readyz without deciding it:
 * Redis is one, because a node without Redis still serves correctly (rate limits fall back to
 * per-node counters), and taking every node out of rotation when Redis fails would turn a degraded
 * limiter into an outage.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ping, type Db } from '../store/db.js';

export interface ReadinessCheck {
  name: string;
  /** false: reported in the body, but the node stays ready when it fails. */
  required: boolean;
  check(): Promise<unknown>;
}

export const READY_TIMEOUT_MS = 2000;

export const healthRoutes: FastifyPluginAsync<{ db: Db; checks?: ReadinessCheck[] }> = async (app, { db, checks = [] }) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  const all: ReadinessCheck[] = [{ name: 'database', required: true, check: () => ping(db) }, ...checks];

  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const results = await Promise.all(
      all.map(async (c) => {
        try {
          await withTimeout(c.check(), READY_TIMEOUT_MS);
          return { c, ok: true };
        } catch {
          return { c, ok: false };
        }
      }),
    );
    const ready = results.every((r) => r.ok || !r.c.required);
    const body: Record<string, string> = { status: ready ? 'ready' : 'not ready' };
    for (const r of results) body[r.c.name] = r.ok ? 'ok' : 'unavailable';
    return reply.code(ready ? 200 : 503).send(body);
  });
};

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
