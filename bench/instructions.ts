/**
 * Instructions per request, counted by valgrind's callgrind: the same count for the same code and
 * inputs whatever else the machine runs, where req/s and even CPU time per request move by 10 %
 * between two runs on a shared 2-core box. For telling whether a small change to a hot path helps.
 *
 *   npm run build && node dist/bench/instructions.js
 *
 * `roster serve` runs under `valgrind --tool=callgrind` with collection off; each phase first warms
 * the path up (the JIT compiles it), then turns collection on for exactly INSTR_REQUESTS requests
 * (autocannon, INSTR_CONNECTIONS at a time) and dumps the counts, per thread. The event loop is
 * thread 1; the others are V8's and libuv's helpers and the password hashing threads. Valgrind runs
 * every thread on one core and about 50 times slower, so absolute times mean nothing here.
 *
 * Knobs: INSTR_REQUESTS (1000), INSTR_WARMUP (2000), INSTR_CONNECTIONS (10), INSTR_CACHE=1 (callgrind's
 * cache simulation: L1 and last-level misses per request on the event loop), INSTR_KEEP=1,
 * INSTR_ONLY (comma list of phases: returning, new, signup, reference, fastify, dressed; sign-up warms
 * up with 40 and counts 100; reference is bench/reference-server.ts on the same users, the limit
 * bench/run.ts uses; fastify is the same work as a route of a bare Fastify app,
 * bench/fastify-reference-server.ts; dressed is the reference with roster's security headers, request
 * id, access line and metrics added by hand, DRESSED=1; dressed-headers, dressed-log and
 * dressed-metrics each of those alone, run only when named).
 */
import autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, referenceServerEnv, ROSTER_MAIN, SERVE_NODE_FLAGS, seedBenchTenant, sqliteEnv, waitFor, type WidgetSample } from './servers.js';

const REQUESTS = Number(process.env.INSTR_REQUESTS ?? 1000);
const WARMUP = Number(process.env.INSTR_WARMUP ?? 2000);
const CONNECTIONS = Number(process.env.INSTR_CONNECTIONS ?? 10);
/** Also simulate the caches (slower): misses per request, the memory stalls instructions do not show. */
const CACHE = process.env.INSTR_CACHE === '1';
const ONLY = process.env.INSTR_ONLY?.split(',').map((s) => s.trim());
const MAIN = ROSTER_MAIN;
/** A server under valgrind takes half a minute or more to start. */
const UNDER_VALGRIND = { timeoutMs: 600_000, intervalMs: 500 };
const run = (key: string) => ONLY === undefined || ONLY.includes(key);

type Body = () => string;

async function drive(url: string, headers: Record<string, string>, body: Body, amount: number, connections = CONNECTIONS) {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    connections,
    amount,
    timeout: 600,
    requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, body: body() }) }],
  });
  const failed = r.errors + r.non2xx + r.timeouts;
  if (failed > 0) throw new Error(`${failed} of ${amount} requests failed`);
}

/** Callgrind's event totals (Ir; with INSTR_CACHE also cache misses) by thread number in the dumps for `key` (one file per thread and dump). */
function counts(dir: string, key: string): Map<number, Record<string, number>> {
  const byThread = new Map<number, Record<string, number>>();
  for (const file of readdirSync(dir).filter((f) => f.startsWith('cg.'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    if (!text.includes(`desc: Trigger: dump ${key}\n`)) continue;
    const thread = Number(/^thread: (\d+)/m.exec(text)?.[1] ?? 1);
    const names = (/^events: (.+)$/m.exec(text)?.[1] ?? 'Ir').trim().split(/\s+/);
    const values = (/^totals: (.+)$/m.exec(text)?.[1] ?? '').trim().split(/\s+/).map(Number);
    const mine = byThread.get(thread) ?? {};
    names.forEach((n, j) => (mine[n] = (mine[n] ?? 0) + (values[j] ?? 0)));
    byThread.set(thread, mine);
  }
  return byThread;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-instr-'));
  const env = sqliteEnv(join(dir, 'bench.db'));
  const { client, basic, bearer } = seedBenchTenant(env);

  /** A node program under callgrind, instrumentation off until a phase turns it on. */
  const valgrind = async (args: string[], extraEnv: Record<string, string>) => {
    const port = await freePort();
    const child = spawn(
      'valgrind',
      [
        '--tool=callgrind',
        '--instr-atstart=no',
        '--separate-threads=yes',
        // V8 writes the machine code it runs: valgrind must notice code that changes.
        '--smc-check=all-non-file',
        ...(CACHE ? ['--cache-sim=yes'] : []),
        `--callgrind-out-file=${join(dir, 'cg')}.%p`,
        process.execPath,
        ...args,
      ],
      { env: { ...env, ...extraEnv, PORT: String(port) }, stdio: ['ignore', 'ignore', 'ignore'] },
    );
    children.push(child);
    const control = (...a: string[]) => execFileSync('callgrind_control', [...a, String(child.pid)], { stdio: 'ignore' });
    return { child, port, control };
  };
  const children: ChildProcess[] = [];
  const rows: string[] = [];
  const loops = new Map<string, number>();
  let i = 0;
  /** Warms `url` up, then counts the instructions of `amount` requests to it. */
  const measure = async (
    server: { control: (...a: string[]) => void },
    key: string,
    name: string,
    url: string,
    headers: Record<string, string>,
    body: Body,
    warmup: number,
    amount: number,
  ) => {
    await drive(url, headers, body, warmup);
    server.control('--zero');
    server.control('--instr=on');
    await drive(url, headers, body, amount);
    server.control('--instr=off');
    server.control(`--dump=${key}`);
    // The dump is written at the server's next valgrind scheduling point: give it time.
    await new Promise((r) => setTimeout(r, 2000));
    const byThread = counts(dir, key);
    const main = byThread.get(1) ?? {};
    const loop = (main.Ir ?? NaN) / amount;
    let all = 0;
    for (const t of byThread.values()) all += t.Ir ?? 0;
    loops.set(key, loop);
    const fmt = (n: number) => Math.round(n).toLocaleString('en');
    // Last-level cache misses (instruction reads, data reads and writes), simulated: memory stalls.
    const llMisses = ((main.ILmr ?? 0) + (main.DLmr ?? 0) + (main.DLmw ?? 0)) / amount;
    const l1Misses = ((main.I1mr ?? 0) + (main.D1mr ?? 0) + (main.D1mw ?? 0)) / amount;
    rows.push(`| ${name} | ${amount} | ${fmt(loop)} | ${fmt(all / amount)} |${CACHE ? ` ${fmt(l1Misses)} | ${fmt(llMisses)} |` : ''}`);
    console.error(rows.at(-1));
  };
  const stop = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    await once(child, 'exit');
  };

  try {
    const roster = await valgrind([...SERVE_NODE_FLAGS, MAIN, 'serve'], {});
    const t0 = performance.now();
    await waitFor(roster.child, `http://127.0.0.1:${roster.port}/healthz`, UNDER_VALGRIND);
    console.error(`roster serve ready under valgrind in ${Math.round((performance.now() - t0) / 1000)} s`);
    const widget = `http://127.0.0.1:${roster.port}/v1/widget/user`;
    const runId = Date.now().toString(36);
    const USERS = 500;
    const returning: Body = () => `{"user":{"id":"u-${i++ % USERS}","names":"User ${i % USERS}"}}`;
    const fresh: Body = () => `{"user":{"id":"new-${runId}-${i++}","names":"New User","legalId":"1223334444"}}`;
    const signup: Body = () => `{"name":"Juan","lastName":"Pérez","email":"u${runId}-${i++}@bench.test","password":"Secure-Passphrase-123!","company":"bench"}`;

    // The users the returning phases find, created (and the new-user path warmed) first.
    const first = await fetch(widget, { method: 'POST', headers: { 'content-type': 'application/json', ...basic }, body: returning() });
    const sample = (await first.json()) as WidgetSample;
    await drive(widget, basic, returning, USERS - 1, 1);
    if (run('returning')) await measure(roster, 'returning', 'roster widget, returning user', widget, basic, returning, WARMUP, REQUESTS);
    if (run('new')) await measure(roster, 'new', 'roster widget, new user', widget, basic, fresh, WARMUP, REQUESTS);
    if (run('signup')) await measure(roster, 'signup', 'roster Plazbot sign-up', `http://127.0.0.1:${roster.port}/api/user`, bearer, signup, 40, 100);
    await stop(roster.child);

    // The reference servers on the same users: bench/reference-server.ts, the hand-written limit
    // bench/run.ts uses; the same with roster's headers, access line and metrics (DRESSED=1); the
    // same work in bare Fastify (bench/fastify-reference-server.ts), the framework's own share.
    const references: [key: string, name: string, script: string, extraEnv: Record<string, string>][] = [
      ['reference', 'reference widget server, returning user', 'reference-server.js', {}],
      ['fastify', "the reference's work in bare Fastify", 'fastify-reference-server.js', {}],
      ['dressed', "the reference with roster's headers, access line and metrics", 'reference-server.js', { DRESSED: '1' }],
      // Each of the three alone, to weigh them (only when named in INSTR_ONLY).
      ['dressed-headers', "the reference with roster's headers and request id only", 'reference-server.js', { DRESSED: 'headers' }],
      ['dressed-log', 'the reference with the access line only', 'reference-server.js', { DRESSED: 'log' }],
      ['dressed-metrics', 'the reference with the metrics observation only', 'reference-server.js', { DRESSED: 'metrics' }],
    ];
    for (const [key, name, script, extraEnv] of references.filter(([key]) => (key.includes('-') ? ONLY?.includes(key) : run(key)))) {
      const server = await valgrind([join(import.meta.dirname, script)], { ...referenceServerEnv(join(dir, 'bench.db'), client, sample), ...extraEnv });
      const url = `http://127.0.0.1:${server.port}/`;
      await waitFor(server.child, url, UNDER_VALGRIND);
      await measure(server, key, name, url, basic, returning, WARMUP, REQUESTS);
      await stop(server.child);
    }
  } finally {
    await Promise.all(children.map(stop));
    if (process.env.INSTR_KEEP) console.error(dir);
    else rmSync(dir, { recursive: true, force: true });
  }
  const ref = loops.get('reference');
  const ret = loops.get('returning');
  const bare = loops.get('fastify');
  console.log(
    [
      `instructions per request (valgrind callgrind), ${new Date().toISOString()}, Node ${process.version}, ${CONNECTIONS} connections`,
      '',
      `| phase | requests counted | event loop (thread 1) | all threads |${CACHE ? ' event loop L1 misses | event loop LL misses |' : ''}`,
      `| --- | ---: | ---: | ---: |${CACHE ? ' ---: | ---: |' : ''}`,
      ...rows,
      ...(ref !== undefined && ret !== undefined
        ? ['', `returning user: the reference server's event loop runs ${(ref / ret).toFixed(2)} of roster's instructions per request`]
        : []),
      ...(bare !== undefined && ret !== undefined
        ? [`returning user: the reference's work in bare Fastify runs ${(bare / ret).toFixed(2)} of roster's instructions per request`]
        : []),
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
