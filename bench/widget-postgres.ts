/**
 * The widget path on PostgreSQL: roster's `POST /v1/widget/user` against a raw `pg` get-or-create
 * loop with the same SQL shape (a select of the user and both rooms; on a miss, one transaction of
 * insert ... on conflict do nothing, rooms and members, then the select again), in the same run,
 * on the same PostgreSQL. Loopback only; every phase is bounded by BENCH_DURATION_S.
 *
 *   DATABASE_URL_TEST=postgres://postgres@127.0.0.1:5432/postgres npm run bench:pg
 *
 * Env: BENCH_DATABASE_URL (admin URL; else DATABASE_URL_TEST), BENCH_DURATION_S (10),
 * BENCH_CONNECTIONS (32), BENCH_USERS (2000 returning users), BENCH_POOL_SIZE (10, both sides),
 * BENCH_ROUNDS (2: the four phases run in turn, round after round, so drift in a shared
 * machine's load hits both sides), BENCH_LOG_LEVEL (info, roster's default: an access log line per request, written to /dev/null),
 * BENCH_WEBHOOK=1 (the company has a webhook endpoint that wants every event, a receiver in this
 * process that answers 204: each new user's event then queues a delivery, which roster sends).
 *
 * Returning users are also served by bench/reference-server.ts on the same database (PG_URL): the
 * hand-written node:http server doing the widget's work with a pool of the same size, sending one
 * query per request; then batching concurrent lookups as roster does (PG_COALESCE=1), plain and
 * dressed (roster's headers, access line and metrics added by hand). The batching reference's rate
 * against the raw loop is what HTTP costs on this machine for the same database work; roster's
 * against it, what roster adds. BENCH_REFERENCE=0 leaves them out.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { FIND_WIDGET_USER } from './widget-sql.js';
import { freePort, referenceServerEnv, ROSTER_MAIN, SERVE_NODE_FLAGS, waitFor, type WidgetSample } from './servers.js';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { openDb } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { servicesOf, TEST_SECRET_KEY } from '../test/fixtures/services.js';
import { loadConfig } from '../src/config.js';
import { openSecretBox } from '../src/infra/secret-key.js';
import { buildServices } from '../src/services.js';

const CLI = ROSTER_MAIN;
const env = process.env;
const ADMIN = env.BENCH_DATABASE_URL ?? env.DATABASE_URL_TEST;
const DURATION_S = Number(env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 32);
const USERS = Number(env.BENCH_USERS ?? 2000);
const POOL = Number(env.BENCH_POOL_SIZE ?? 10);
const LOG_LEVEL = env.BENCH_LOG_LEVEL ?? 'info';
const ROUNDS = Number(env.BENCH_ROUNDS ?? 2);
const WEBHOOK = env.BENCH_WEBHOOK === '1';
const REFERENCE = env.BENCH_REFERENCE !== '0';

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  total: number;
  failed: number;
}

/**
 * The lookup as roster sends it: a named prepared statement (roster's precompiled queries are,
 * src/store/precompile.ts), parsed once per connection. BENCH_RAW_UNNAMED=1 sends it unnamed, as
 * this loop did before roster named its statements (pg then parses and plans it on every call).
 */
const find = (botId: string, ref: string) =>
  env.BENCH_RAW_UNNAMED === '1' ? { text: FIND_WIDGET_USER, values: [botId, ref] } : { name: 'find_widget_user', text: FIND_WIDGET_USER, values: [botId, ref] };

/** The raw loop's get-or-create: the statements roster runs, without roster. */
async function rawGetOrCreate(pool: pg.Pool, botId: string, companyId: number, ref: string): Promise<void> {
  const found = await pool.query(find(botId, ref));
  if (found.rows.length === 2) return;
  const client = await pool.connect();
  try {
    await client.query('begin');
    const now = new Date().toISOString();
    const groupId = randomUUID();
    const ins = await client.query<{ id: string }>(
      `insert into widget_users (bot_id, company_id, reference_id, names, legal_id, socket_id, provider_id, group_id, created_at, updated_at)
       values ($1, $2, $3, $4, null, $5, $6, $7, $8, $8) on conflict (bot_id, reference_id) do nothing returning id`,
      [botId, companyId, ref, ref, randomUUID(), randomUUID(), groupId, now],
    );
    const id = ins.rows[0]?.id;
    if (id !== undefined) {
      const p = randomBytes(12).toString('hex');
      const g = randomBytes(12).toString('hex');
      await client.query(
        `insert into rooms (oid, id, kind, bot_id, widget_user_id, name, last_message_at, created_at, updated_at)
         values ($1, $2, 'personal', $3, $4, $5, $6, $6, $6), ($7, $8, 'group', $3, $4, $9, $6, $6, $6)`,
        [p, `G:${botId}:${ref}`, botId, id, ref, now, g, `G:${botId}:${groupId}`, `${ref} (group)`],
      );
      await client.query(
        `insert into room_members (room_oid, member_id, member_type, created_at)
         values ($1, $3, 'user', $5), ($1, $4, 'bot', $5), ($2, $3, 'user', $5), ($2, $4, 'bot', $5)`,
        [p, g, ref, botId, now],
      );
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  await pool.query(find(botId, ref));
}

/** CONNECTIONS workers calling `op` back to back for DURATION_S; latencies in ms. */
async function loop(name: string, op: (i: number) => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const until = performance.now() + DURATION_S * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          await op(next++);
          latencies.push(performance.now() - t);
        } catch {
          failed++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { name, rps: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99), total: latencies.length, failed };
}

/** The reference server's credential: the Basic form (roster takes it too; the bench sends roster Jelou's bare `id:secret`). */
const refHeaders = (client: { clientId: string; clientSecret: string }) => ({
  authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
  'content-type': 'application/json',
});

function fromAutocannon(name: string, r: Result): Figures {
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, failed: r.non2xx + r.errors + r.timeouts };
}

async function main(): Promise<void> {
  if (!ADMIN) throw new Error('set BENCH_DATABASE_URL or DATABASE_URL_TEST to an admin PostgreSQL URL');
  const name = `roster_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  const store = openDb(dbUrl, { poolSize: 2 });
  const port = await freePort();
  const prof = process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
  const roster = spawn(process.execPath, [...SERVE_NODE_FLAGS, ...prof, CLI, 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    env: {
      ...env,
      DATABASE_URL: dbUrl,
      DATABASE_POOL_SIZE: String(POOL),
      LOG_LEVEL: LOG_LEVEL,
      SEED_DEMO: 'false',
      // The key the bench's own services seal the webhook's secret with, so that roster can sign.
      ROSTER_SECRET_KEY: TEST_SECRET_KEY,
      ...(WEBHOOK && { WEBHOOK_ALLOW_PRIVATE: 'true' }),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const references: ReturnType<typeof spawn>[] = [];
  let receiver: http.Server | undefined;
  let deliveries = 0;
  const pool = new pg.Pool({ connectionString: dbUrl, max: POOL });
  pool.on('error', () => {});
  try {
    await migrateToLatest(store);
    await servicesOf(store).companies.create({ code: 'bench', name: 'Bench' });
    const client = await servicesOf(store).credentials.createWidgetClient({ companyCode: 'bench' });
    const company = await store.kysely.selectFrom('companies').select('id').where('code', '=', 'bench').executeTakeFirstOrThrow();
    if (WEBHOOK) {
      receiver = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          deliveries++;
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
      const config = loadConfig({ ROSTER_SECRET_KEY: TEST_SECRET_KEY, WEBHOOK_ALLOW_PRIVATE: 'true' });
      const services = buildServices({ db: store, config, secrets: openSecretBox({ ...config, databaseUrl: 'sqlite::memory:' }) });
      await services.webhooks.add({ companyCode: 'bench', url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook` });
    }
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (
        await fetch(`${base}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 300) throw new Error('roster did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const headers = { authorization: `${client.clientId}:${client.clientSecret}`, 'content-type': 'application/json' };
    const body = (id: string) => JSON.stringify({ user: { id, names: id } });

    // Returning users, created through the API, identical for both sides. At most 50 connections,
    // closed afterwards: roster caps the connections one client holds open (100 by default), and
    // fetch's pool would keep more than 50 open into the measured phases.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    const seed = (id: string) =>
      new Promise<void>((resolve, reject) => {
        const req = http.request(`${base}/v1/widget/user`, { method: 'POST', headers, agent }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`seeding: ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end(body(id));
      });
    for (let i = 0; i < USERS; i += 50) await Promise.all(Array.from({ length: Math.min(50, USERS - i) }, (_, j) => seed(`returning-${i + j}`)));
    agent.destroy();

    // The reference servers, each checked to answer what roster answers.
    const referenceUrls: Array<[string, string]> = [];
    if (REFERENCE) {
      const sampled = await fetch(`${base}/v1/widget/user`, { method: 'POST', headers, body: body('returning-0') });
      const sample = (await sampled.json()) as WidgetSample;
      if (sampled.status !== 200) throw new Error(`roster answered ${sampled.status}: ${JSON.stringify(sample)}`);
      for (const [label, coalesce, dressed] of [
        ['reference server, one query per request, returning users', '', ''],
        ["reference server, lookups batched as roster's, returning users", '1', ''],
        ["the batching reference with roster's headers, access line and metrics, returning users", '1', '1'],
      ] as const) {
        const refPort = await freePort();
        const child = spawn(process.execPath, [join(import.meta.dirname, 'reference-server.js')], {
          env: {
            ...env,
            ...referenceServerEnv('', client, sample),
            PORT: String(refPort),
            PG_URL: dbUrl,
            PG_POOL_SIZE: String(POOL),
            PG_COALESCE: coalesce,
            DRESSED: dressed,
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        references.push(child);
        const refUrl = `http://127.0.0.1:${refPort}`;
        await waitFor(child, refUrl);
        const check = await fetch(refUrl, { method: 'POST', headers: refHeaders(client), body: body('returning-0') });
        const answer = (await check.json()) as { data?: unknown };
        if (check.status !== 200 || !isDeepStrictEqual(answer.data, sample.data)) {
          throw new Error(`${label}: answered ${check.status}, not roster's user and rooms: ${JSON.stringify(answer)}`);
        }
        referenceUrls.push([label, refUrl]);
      }
    }

    let k = 0;
    const results: Array<Figures & { round: number }> = [];
    const run = async (label: string, prefix: string, cycle: boolean, url = base, sent: Record<string, string> = headers) =>
      fromAutocannon(
        label,
        await autocannon({
          url,
          connections: CONNECTIONS,
          duration: DURATION_S,
          requests: [
            {
              method: 'POST',
              path: '/v1/widget/user',
              headers: sent,
              setupRequest: (req) => ({ ...req, body: body(`${prefix}${cycle ? k++ % USERS : k++}`) }),
            },
          ],
        }),
      );

    for (let round = 1; round <= ROUNDS; round++) {
      results.push({ ...(await run('roster, returning users', 'returning-', true)), round });
      for (const [label, url] of referenceUrls) results.push({ ...(await run(label, 'returning-', true, url, refHeaders(client))), round });
      results.push({ ...(await loop('raw pg, returning users', (i) => rawGetOrCreate(pool, client.botId, company.id, `returning-${i % USERS}`))), round });
      results.push({ ...(await run('roster, first-time creates', `new-roster-${round}-`, false)), round });
      results.push({ ...(await loop('raw pg, first-time creates', (i) => rawGetOrCreate(pool, client.botId, company.id, `new-raw-${round}-${i}`))), round });
    }

    const version = await admin.query<{ server_version: string }>('show server_version');
    console.log(
      `\nwidget path on PostgreSQL ${version.rows[0]!.server_version}, Node ${process.version}, ${cpus().length} cores ` +
        `(load average ${loadavg()[0]!.toFixed(1)}), ${CONNECTIONS} connections, ${DURATION_S} s per phase, ` +
        `pool ${POOL} per side, ${USERS} returning users, roster LOG_LEVEL=${LOG_LEVEL}` +
        (WEBHOOK ? `, a webhook endpoint wanting every event (${deliveries} deliveries received)` : '') +
        '\n',
    );
    console.log('| round | phase | req/s | p50 ms | p99 ms | requests | failed |');
    console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of results) {
      console.log(`| ${r.round} | ${r.name} | ${Math.round(r.rps)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.total} | ${r.failed} |`);
    }
    const mean = (name: string) => results.filter((r) => r.name === name).reduce((sum, r) => sum + r.rps, 0) / ROUNDS;
    const ratio = (a: string, b: string) => `${((mean(a) / mean(b)) * 100).toFixed(0)}% (${Math.round(mean(a))} / ${Math.round(mean(b))} req/s)`;
    console.log(
      `\nroster / raw pg, mean over ${ROUNDS} rounds: returning users ${ratio('roster, returning users', 'raw pg, returning users')}, ` +
        `first-time creates ${ratio('roster, first-time creates', 'raw pg, first-time creates')}`,
    );
    if (referenceUrls.length > 0) {
      const [single, batched, dressed] = referenceUrls.map(([label]) => label) as [string, string, string];
      const raw = 'raw pg, returning users';
      console.log(
        `returning users, mean over ${ROUNDS} rounds, against the raw loop: reference, one query per request ${ratio(single, raw)}; ` +
          `reference, batched ${ratio(batched, raw)}; the batching reference dressed ${ratio(dressed, raw)}; ` +
          `roster / the batching reference ${ratio('roster, returning users', batched)}; roster / the batching reference dressed ${ratio('roster, returning users', dressed)}`,
      );
    }
  } finally {
    for (const child of [roster, ...references]) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await once(child, 'exit').catch(() => {});
    }
    await pool.end();
    receiver?.close();
    await store.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
