/**
 * Every hot path of roster against what this machine can do, in one run (issue 15). Servers run
 * as child processes; autocannon drives them from this process over loopback; every phase is
 * bounded in time. Prints one table (req/s, p50, p99, the server's peak RSS during the phase, the
 * ratio to the phase's reference) and the targets, met or not. Sign-up is measured twice: roster's
 * Plazbot sign-up, then better-auth's email sign-up on SQLite (bench/better-auth-server.ts, the
 * pinned devDependency) at the same connections for the same time, for the issue's
 * "sign-up >= 10x better-auth". The reference server's work is also measured as a route of a bare
 * Fastify app (phase `fastify`, bench/fastify-reference-server.ts): the framework's own share, with
 * a line under the table giving roster's returning-user rate against it; and the reference server
 * with what roster owes every answer added by hand (phase `dressed`: its security headers, request
 * id, access line and metrics observation), the most any roster could reach on node:http.
 *
 *   npm run bench          (BENCH_SECONDS=10, 1,000,000-user phase included)
 *   npm run bench:quick    (BENCH_SECONDS=3, no 1,000,000-user phase)
 *
 * Knobs: BENCH_SECONDS, BENCH_CONNECTIONS (50), BENCH_SIGNUP_CONNECTIONS (16), BENCH_USERS (10000),
 * BENCH_BIG_USERS (1000000; 0 skips), BENCH_ONLY (comma list of phase keys: echo, reference,
 * fastify, dressed, returning, new, argon2, signup, betterauth, idle, flood, big), BENCH_PROF=<dir>
 * (CPU profile of roster), BENCH_JSON=<file> (the rows as JSON), LOG_LEVEL (info: access logs on,
 * to /dev/null, as in production). The PostgreSQL comparison is bench/widget-postgres.ts (`npm run bench:pg`).
 */
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  cpuMicros,
  ECHO_SERVER,
  freePort,
  referenceServerEnv,
  ROSTER_MAIN,
  SERVE_NODE_FLAGS,
  seedBenchTenant,
  sqliteEnv,
  waitFor,
  type WidgetSample,
} from './servers.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SIGNUP_CONNECTIONS = Number(process.env.BENCH_SIGNUP_CONNECTIONS ?? 16);
const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const BIG_USERS = Number(process.env.BENCH_BIG_USERS ?? 1_000_000);
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const MAIN = ROSTER_MAIN;
const HERE = import.meta.dirname;
const run = (key: string) => ONLY === undefined || ONLY.includes(key);
/** The better-auth version bench/better-auth-server.ts runs (its package.json, next to its entry point). */
const BETTER_AUTH_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.resolve('better-auth')), 'utf8')) as { version: string }).version;

/** Resident memory of a process in MiB, from /proc. */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Samples a process's RSS every 50 ms until stopped; the peak. */
function rssPeak(pid: number): () => number {
  let peak = rssMiB(pid);
  const t = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      /* exited */
    }
  }, 50);
  return () => {
    clearInterval(t);
    return peak;
  };
}

interface Phase {
  key: string;
  name: string;
  rps: number;
  p50: number;
  p99: number;
  rssMiB: number;
  errors: number;
  /** The server's own CPU time per request: holds up on a busy machine where req/s does not. */
  cpuUs: number;
  /** Of which the main thread's (the event loop's); the rest is the other threads': password hashing, V8's GC and compiler helpers, libuv's pool. */
  loopCpuUs: number;
  ratio?: number;
  ratioTo?: string;
}

type Body = () => string;

async function drive(url: string, headers: Record<string, string>, body: Body, connections: number, seconds = SECONDS) {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    connections,
    duration: seconds,
    requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, body: body() }) }],
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts, total: r.requests.total };
}

const phases: Phase[] = [];
async function phase(key: string, name: string, pid: number, go: () => Promise<{ rps: number; p50: number; p99: number; errors: number; total: number }>) {
  if (!run(key)) return undefined;
  const peak = rssPeak(pid);
  const cpu0 = cpuMicros(pid);
  // The main thread's id is the process id.
  const loop0 = cpuMicros(pid, pid);
  const { total, ...r } = await go();
  const n = Math.max(1, total);
  const p: Phase = { key, name, ...r, rssMiB: peak(), cpuUs: (cpuMicros(pid) - cpu0) / n, loopCpuUs: (cpuMicros(pid, pid) - loop0) / n };
  phases.push(p);
  console.error(
    `${name}: ${Math.round(p.rps)} req/s, p50 ${p.p50} ms, p99 ${p.p99} ms, RSS ${Math.round(p.rssMiB)} MiB, ${Math.round(p.cpuUs)} µs CPU/req (event loop ${Math.round(p.loopCpuUs)}), errors ${p.errors}`,
  );
  return p;
}

/** Copies the template user (with its rooms and their members) `count` times, in one transaction. */
function seed(dbFile: string, templateRef: string, from: number, count: number): void {
  const db = new Database(dbFile);
  db.pragma('busy_timeout = 30000');
  const t = db.prepare<[string], { id: number }>('select id from widget_users where reference_id = ?').get(templateRef)!;
  const first = (db.prepare('select max(id) as m from widget_users').get() as { m: number }).m;
  db.transaction(() => {
    db.prepare(
      `with recursive n(i) as (select cast(? as integer) union all select i + 1 from n where i < ?)
       insert into widget_users (bot_id, company_id, reference_id, names, legal_id, socket_id, provider_id, group_id, created_at, updated_at)
       select t.bot_id, t.company_id, 'seed-' || n.i, 'Seeded User ' || n.i, t.legal_id, lower(hex(randomblob(16))),
              lower(hex(randomblob(16))), lower(hex(randomblob(16))), t.created_at, t.updated_at
       from n, (select * from widget_users where id = ?) as t`,
    ).run(from, from + count - 1, t.id);
    db.prepare(
      `insert into rooms (oid, id, kind, bot_id, widget_user_id, name, last_message_at, created_at, updated_at)
       select lower(hex(randomblob(12))), 'G:' || bot_id || ':' || reference_id, 'personal', bot_id, id, names, created_at, created_at, created_at
       from widget_users where id > ?
       union all
       select lower(hex(randomblob(12))), 'GR:' || bot_id || ':' || group_id, 'group', bot_id, id, names || ' (group)', created_at, created_at, created_at
       from widget_users where id > ?`,
    ).run(first, first);
    db.prepare(
      `insert into room_members (room_oid, member_id, member_type, created_at)
       select r.oid, u.reference_id, 'user', r.created_at from rooms r join widget_users u on u.id = r.widget_user_id where u.id > ?
       union all
       select r.oid, r.bot_id, 'bot', r.created_at from rooms r where r.widget_user_id > ?`,
    ).run(first, first);
  })();
  db.close();
}

async function main(): Promise<void> {
  const started = new Date();
  const load0 = loadavg()[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-'));
  const dbFile = join(dir, 'bench.db');
  const env = sqliteEnv(dbFile);
  const { client, basic, bearer } = seedBenchTenant(env);

  const children: ChildProcess[] = [];
  const start = async (args: string[], extraEnv: Record<string, string>, health: string, prof = false) => {
    const port = await freePort();
    const profArgs = prof && process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
    const t0 = performance.now();
    const child = spawn(process.execPath, [...profArgs, ...args], { env: { ...env, ...extraEnv, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    await waitFor(child, `http://127.0.0.1:${port}${health}`);
    return { child, pid: child.pid!, port, readyMs: performance.now() - t0 };
  };
  const stop = async (child: ChildProcess) => {
    // A child killed by a signal has a signalCode and no exitCode; waiting for its exit again
    // would never end (and the run would leave the event loop empty: exit 0, no error, no cleanup).
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    await once(child, 'exit');
  };

  try {
    let roster = await start([...SERVE_NODE_FLAGS, MAIN, 'serve'], {}, '/healthz', true);
    console.error(`roster serve ready in ${Math.round(roster.readyMs)} ms on an empty database`);
    const widgetUrl = () => `http://127.0.0.1:${roster.port}/v1/widget/user`;
    const first = await fetch(widgetUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...basic },
      body: JSON.stringify({ user: { id: 'template', names: 'Template User', legalId: '1223334444' } }),
    });
    const sample = (await first.json()) as WidgetSample;
    if (first.status !== 200) throw new Error(`roster answered ${first.status}: ${JSON.stringify(sample)}`);
    const t0 = performance.now();
    seed(dbFile, 'template', 1, USERS);
    console.error(`seeded ${USERS} widget users in ${Math.round(performance.now() - t0)} ms`);

    let i = 0;
    const returning: Body = () => {
      const n = (i++ % USERS) + 1;
      return `{"user":{"id":"seed-${n}","names":"Seeded User ${n}"}}`;
    };
    const runId = Date.now().toString(36);
    const fresh: Body = () => `{"user":{"id":"new-${runId}-${i++}","names":"New User","legalId":"1223334444"}}`;
    const signup: Body = () => `{"name":"Juan","lastName":"Pérez","email":"u${runId}-${i++}@bench.test","password":"Secure-Passphrase-123!","company":"bench"}`;
    const baSignup: Body = () => `{"name":"Juan Pérez","email":"u${runId}-${i++}@bench.test","password":"Secure-Passphrase-123!"}`;

    // Warm-up: JIT and statement caches of every server, not measured.
    const echo = await start(['-e', ECHO_SERVER], {}, '/');
    const reference = await start([join(HERE, 'reference-server.js')], referenceServerEnv(dbFile, client, sample), '/');
    const fastifyRef = run('fastify') ? await start([join(HERE, 'fastify-reference-server.js')], referenceServerEnv(dbFile, client, sample), '/') : undefined;
    const dressedRef = run('dressed')
      ? await start([join(HERE, 'reference-server.js')], { ...referenceServerEnv(dbFile, client, sample), DRESSED: '1' }, '/')
      : undefined;
    const echoUrl = `http://127.0.0.1:${echo.port}/`;
    const refUrl = `http://127.0.0.1:${reference.port}/`;
    const fastifyUrl = fastifyRef && `http://127.0.0.1:${fastifyRef.port}/`;
    const dressedUrl = dressedRef && `http://127.0.0.1:${dressedRef.port}/`;
    const checkBody = returning();
    const check = await fetch(refUrl, { method: 'POST', headers: basic, body: checkBody });
    const refAnswer = await check.text();
    if (check.status !== 200) throw new Error(`reference server answered ${check.status}: ${refAnswer}`);
    if (fastifyUrl) {
      // The same answer from the Fastify route, or its phase would time something else.
      const f = await fetch(fastifyUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...basic }, body: checkBody });
      const fAnswer = await f.text();
      if (f.status !== 200 || fAnswer !== refAnswer) throw new Error(`the Fastify reference answered ${f.status}, not the reference's answer: ${fAnswer}`);
    }
    if (dressedUrl) {
      const d = await fetch(dressedUrl, { method: 'POST', headers: basic, body: checkBody });
      const dAnswer = await d.text();
      if (d.status !== 200 || dAnswer !== refAnswer || !d.headers.get('content-security-policy')) {
        throw new Error(`the dressed reference answered ${d.status}, not the reference's answer with roster's headers: ${dAnswer}`);
      }
    }
    await drive(echoUrl, {}, returning, 10, 1);
    await drive(refUrl, basic, returning, 10, 1);
    if (fastifyUrl) await drive(fastifyUrl, basic, returning, 10, 1);
    if (dressedUrl) await drive(dressedUrl, basic, returning, 10, 1);
    await drive(widgetUrl(), basic, returning, 10, 2);

    const echoP = await phase('echo', 'bare node:http echo', echo.pid, () => drive(echoUrl, {}, returning, CONNECTIONS));
    const ref = await phase('reference', 'reference widget server', reference.pid, () => drive(refUrl, basic, returning, CONNECTIONS));
    const fst =
      fastifyRef && fastifyUrl
        ? await phase('fastify', "the reference's work in bare Fastify", fastifyRef.pid, () => drive(fastifyUrl, basic, returning, CONNECTIONS))
        : undefined;
    const drs =
      dressedRef && dressedUrl
        ? await phase('dressed', "the reference with roster's headers, access line and metrics", dressedRef.pid, () =>
            drive(dressedUrl, basic, returning, CONNECTIONS),
          )
        : undefined;
    await stop(echo.child);
    await stop(reference.child);
    if (fastifyRef) await stop(fastifyRef.child);
    if (dressedRef) await stop(dressedRef.child);
    if (fst && ref) Object.assign(fst, { ratio: fst.rps / ref.rps, ratioTo: 'reference' });
    if (drs && ref) Object.assign(drs, { ratio: drs.rps / ref.rps, ratioTo: 'reference' });
    const ret = await phase('returning', `roster widget, returning user (${USERS.toLocaleString('en')} users)`, roster.pid, () =>
      drive(widgetUrl(), basic, returning, CONNECTIONS),
    );
    if (ret && ref) Object.assign(ret, { ratio: ret.rps / ref.rps, ratioTo: 'reference' });
    if (echoP && ref) Object.assign(ref, { ratio: ref.rps / echoP.rps, ratioTo: 'echo' });
    const neu = await phase('new', 'roster widget, new user', roster.pid, () => drive(widgetUrl(), basic, fresh, CONNECTIONS));
    if (neu && ret) Object.assign(neu, { ratio: neu.rps / ret.rps, ratioTo: 'returning' });

    // Raw argon2id right before and right after the sign-up phase, and their mean as the limit: the
    // hash rate drifts with what else the host runs, and this way the drift hits both sides alike.
    const rawArgon2 = () =>
      JSON.parse(
        execFileSync(process.execPath, [join(HERE, 'argon2-raw.js')], {
          env: { ...process.env, SECONDS: String(SECONDS), CONCURRENCY: String(SIGNUP_CONNECTIONS) },
          encoding: 'utf8',
        }),
      ) as { rate: number; cpuUs: number };
    // Warm-up of the sign-up path, not measured, as the widget path's above: its code (validation,
    // the Plazbot route, the hashing threads) runs for the first time here, and V8 takes a few
    // seconds at ~150 sign-ups/s to optimize it (the first 5 s cost 1.5x the event loop's time per
    // sign-up of the later ones).
    if (run('signup') || run('flood')) await drive(`http://127.0.0.1:${roster.port}/api/user`, bearer, signup, SIGNUP_CONNECTIONS, 3);
    const rawBefore = run('argon2') ? rawArgon2() : undefined;
    const sign = await phase('signup', `roster Plazbot sign-up, ${SIGNUP_CONNECTIONS} connections`, roster.pid, () =>
      drive(`http://127.0.0.1:${roster.port}/api/user`, bearer, signup, SIGNUP_CONNECTIONS),
    );
    let raw: Phase | undefined;
    if (rawBefore) {
      const rawAfter = sign ? rawArgon2() : rawBefore;
      const rate = (rawBefore.rate + rawAfter.rate) / 2;
      raw = {
        key: 'argon2',
        name: sign
          ? `raw argon2id, ${SIGNUP_CONNECTIONS} at a time (${Math.round(rawBefore.rate)} before the sign-ups, ${Math.round(rawAfter.rate)} after)`
          : `raw argon2id, ${SIGNUP_CONNECTIONS} at a time (one run)`,
        rps: rate,
        p50: NaN,
        p99: NaN,
        rssMiB: NaN,
        errors: 0,
        cpuUs: (rawBefore.cpuUs + rawAfter.cpuUs) / 2,
        loopCpuUs: NaN,
      };
      phases.splice(sign ? phases.indexOf(sign) : phases.length, 0, raw);
      console.error(`${raw.name}: ${rate.toFixed(1)}/s`);
    }
    if (sign && raw) Object.assign(sign, { ratio: sign.rps / raw.rps, ratioTo: 'raw argon2id' });

    // better-auth's email sign-up, same connections, same time, a new email each request. Its own
    // server and database file; started here and stopped after, so it holds nothing during the
    // other phases. Roster stays up, idle.
    let ba: Phase | undefined;
    if (run('betterauth')) {
      const server = await start([join(HERE, 'better-auth-server.js')], { DB: join(dir, 'better-auth.db'), BETTER_AUTH_TELEMETRY: '0' }, '/');
      const baUrl = `http://127.0.0.1:${server.port}/api/auth/sign-up/email`;
      // A browser's sign-up sends its Origin, which better-auth checks against its base URL; and
      // Node's fetch sends Sec-Fetch-Mode, with which better-auth refuses a request without one.
      const origin = { origin: `http://127.0.0.1:${server.port}` };
      const baCheck = await fetch(baUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...origin }, body: baSignup() });
      if (baCheck.status !== 200) throw new Error(`better-auth answered ${baCheck.status}: ${await baCheck.text()}`);
      await drive(baUrl, origin, baSignup, 2, 1);
      ba = await phase('betterauth', `better-auth ${BETTER_AUTH_VERSION} email sign-up, ${SIGNUP_CONNECTIONS} connections`, server.pid, () =>
        drive(baUrl, origin, baSignup, SIGNUP_CONNECTIONS),
      );
      await stop(server.child);
      if (ba && sign) Object.assign(ba, { ratio: ba.rps / sign.rps, ratioTo: 'roster sign-up' });
    }

    const idle = await phase('idle', 'roster widget, 10 connections, idle', roster.pid, () => drive(widgetUrl(), basic, returning, 10));
    const busy = await phase('flood', 'roster widget, 10 connections, during a sign-up flood', roster.pid, async () => {
      const flood = drive(`http://127.0.0.1:${roster.port}/api/user`, bearer, signup, SIGNUP_CONNECTIONS, SECONDS + 1);
      await new Promise((r) => setTimeout(r, 500));
      const w = await drive(widgetUrl(), basic, returning, 10);
      await flood;
      return w;
    });
    if (busy && idle) Object.assign(busy, { ratio: busy.rps / idle.rps, ratioTo: 'idle' });

    let bigReadyMs: number | undefined;
    if (BIG_USERS > USERS && run('big')) {
      await stop(roster.child);
      // The yardstick: a copy of the database as it is now (USERS widget users), served by a fresh
      // process with the same warm-up as the big one below, so that the two differ only in size.
      // (The returning phase above ran on a process that has since been through the sign-up floods.)
      const smallFile = join(dir, 'small.db');
      const snapshot = new Database(dbFile);
      snapshot.pragma('wal_checkpoint(TRUNCATE)');
      snapshot.close();
      copyFileSync(dbFile, smallFile);
      roster = await start([...SERVE_NODE_FLAGS, MAIN, 'serve'], { DATABASE_URL: `sqlite:${smallFile}` }, '/healthz');
      await drive(widgetUrl(), basic, returning, 10, 2);
      const small = await phase('big', `roster widget, returning user (${USERS.toLocaleString('en')} users, a fresh process)`, roster.pid, () =>
        drive(widgetUrl(), basic, returning, CONNECTIONS),
      );
      await stop(roster.child);

      const s0 = performance.now();
      seed(dbFile, 'template', USERS + 1, BIG_USERS - USERS);
      console.error(`seeded up to ${BIG_USERS} widget users in ${Math.round((performance.now() - s0) / 1000)} s`);
      roster = await start([...SERVE_NODE_FLAGS, MAIN, 'serve'], {}, '/healthz');
      bigReadyMs = roster.readyMs;
      console.error(`roster serve ready in ${Math.round(bigReadyMs)} ms on ${BIG_USERS} widget users`);
      let j = 0;
      const spread: Body = () => {
        // A multiplicative walk over all users, so that the lookups touch the whole index.
        const n = ((j++ * 7919) % BIG_USERS) + 1;
        return `{"user":{"id":"seed-${n}","names":"Seeded User ${n}"}}`;
      };
      await drive(widgetUrl(), basic, spread, 10, 2);
      const big = await phase('big', `roster widget, returning user (${BIG_USERS.toLocaleString('en')} users, a fresh process)`, roster.pid, () =>
        drive(widgetUrl(), basic, spread, CONNECTIONS),
      );
      if (big && small) Object.assign(big, { ratio: big.p50 / small.p50, ratioTo: `p50 / p50 at ${USERS.toLocaleString('en')} users` });
      if (big && ret) console.error(`1,000,000-user p50 against the returning phase's (another process, earlier): ${(big.p50 / ret.p50).toFixed(2)}`);
    }

    const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d }) : '');
    const lines = [
      `roster bench, ${started.toISOString()}, Node ${process.version}, ${availableParallelism()} cores, load average ${load0.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`,
      `${SECONDS} s per phase, ${CONNECTIONS} connections unless named; roster runs as npm start runs it: node ${SERVE_NODE_FLAGS.join(' ')} ${relative(process.cwd(), MAIN)} serve`,
      '',
      '| phase | req/s | p50 ms | p99 ms | peak RSS MiB | server CPU µs/req | of which event loop | errors | ratio |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...phases.map(
        (p) =>
          `| ${p.name} | ${fmt(p.rps)} | ${fmt(p.p50, 1)} | ${fmt(p.p99, 1)} | ${fmt(p.rssMiB)} | ${fmt(p.cpuUs)} | ${fmt(p.loopCpuUs)} | ${p.errors} | ${p.ratio === undefined ? '' : `${p.ratio.toFixed(2)} of ${p.ratioTo}`} |`,
      ),
    ];
    if (sign && ba)
      lines.push(
        '',
        `roster sign-up = ${(sign.rps / ba.rps).toFixed(1)}x better-auth ${BETTER_AUTH_VERSION} (req/s, ${SIGNUP_CONNECTIONS} connections each); ` +
          `server CPU per sign-up: roster ${fmt(sign.cpuUs)} µs, better-auth ${fmt(ba.cpuUs)} µs (${(ba.cpuUs / sign.cpuUs).toFixed(1)}x)`,
      );
    if (fst && ret)
      lines.push(
        '',
        `roster returning user = ${(ret.rps / fst.rps).toFixed(2)} of the reference's work in bare Fastify (req/s); server CPU per request: ` +
          `${ref ? `reference ${fmt(ref.cpuUs)} µs, ` : ''}in bare Fastify ${fmt(fst.cpuUs)} µs, roster ${fmt(ret.cpuUs)} µs`,
      );
    if (bigReadyMs !== undefined)
      lines.push('', `roster serve ready (process start to /healthz) on ${BIG_USERS.toLocaleString('en')} widget users: ${Math.round(bigReadyMs)} ms`);
    const target = (name: string, ok: boolean | undefined) => (ok === undefined ? '' : `- ${ok ? 'met' : 'NOT met'}: ${name}`);
    const big = phases.filter((p) => p.key === 'big').at(-1); // the whole index (the one before it is its yardstick)
    // better-auth's RSS is its own: the target is roster's (and the tiny reference servers').
    const maxRss = Math.max(
      ...phases
        .filter((p) => p.key !== 'betterauth')
        .map((p) => p.rssMiB)
        .filter(Number.isFinite),
    );
    lines.push(
      '',
      ...[
        target('returning >= 0.9 of reference', ret?.ratio === undefined ? undefined : ret.ratio >= 0.9),
        target('returning p99 <= 10 ms', ret && ret.p99 <= 10),
        target('new user >= 0.5 of returning', neu?.ratio === undefined ? undefined : neu.ratio >= 0.5),
        target('sign-up >= 0.9 of raw argon2id', sign?.ratio === undefined ? undefined : sign.ratio >= 0.9),
        target('sign-up >= 10x better-auth', sign && ba ? sign.rps >= 10 * ba.rps : undefined),
        target('widget during sign-ups >= 0.5 of idle req/s', busy?.ratio === undefined ? undefined : busy.ratio >= 0.5),
        target('widget during sign-ups p99 <= 2x idle', busy && idle ? busy.p99 <= 2 * idle.p99 : undefined),
        target('1M users p50 <= 1.25x the p50 at 10,000', big?.ratio === undefined ? undefined : big.ratio <= 1.25),
        target('peak RSS <= 200 MiB in every phase', Number.isFinite(maxRss) ? maxRss <= 200 : undefined),
        target('serve ready < 1 s on 1M users', bigReadyMs === undefined ? undefined : bigReadyMs < 1000),
      ].filter(Boolean),
    );
    console.log(lines.join('\n'));
    if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ started, phases, bigReadyMs }, null, 2));
  } finally {
    await Promise.all(children.map(stop));
    if (process.env.BENCH_KEEP) console.error(dir);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
