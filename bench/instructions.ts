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
 * Knobs: INSTR_REQUESTS (1000), INSTR_WARMUP (2000), INSTR_CONNECTIONS (10),
 * INSTR_ONLY (comma list of phases: returning, new, signup; sign-up warms up with 40 and counts 100).
 */
import autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVE_NODE_FLAGS } from './serve-flags.js';

const REQUESTS = Number(process.env.INSTR_REQUESTS ?? 1000);
const WARMUP = Number(process.env.INSTR_WARMUP ?? 2000);
const CONNECTIONS = Number(process.env.INSTR_CONNECTIONS ?? 10);
const ONLY = process.env.INSTR_ONLY?.split(',').map((s) => s.trim());
const MAIN = join(import.meta.dirname, '..', 'src', 'cli', 'roster.js');
const run = (key: string) => ONLY === undefined || ONLY.includes(key);

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

async function waitFor(child: ChildProcess, url: string): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`server at ${url} did not start`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

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

/** Instructions (Ir) by thread number in callgrind's dumps for `key` (one file per thread and dump). */
function counts(dir: string, key: string): Map<number, number> {
  const byThread = new Map<number, number>();
  for (const file of readdirSync(dir).filter((f) => f.startsWith('cg.'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    if (!text.includes(`desc: Trigger: dump ${key}\n`)) continue;
    const thread = Number(/^thread: (\d+)/m.exec(text)?.[1] ?? 1);
    const total = Number(/^totals: (\d+)/m.exec(text)?.[1] ?? 0);
    byThread.set(thread, (byThread.get(thread) ?? 0) + total);
  }
  return byThread;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-instr-'));
  const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`, SEED_DEMO: 'false', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
  const cli = (...args: string[]) => JSON.parse(execFileSync(process.execPath, [MAIN, ...args, '--json'], { env, encoding: 'utf8' })) as Record<string, string>;
  execFileSync(process.execPath, [MAIN, 'migrate'], { env, stdio: 'ignore' });
  cli('company', 'create', '--code', 'bench', '--name', 'Bench');
  const client = cli('client', 'create', '--company', 'bench');
  const token = cli('token', 'create', '--company', 'bench');
  const basic = { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` };
  const bearer = { authorization: `Bearer ${token.token}` };

  const port = await freePort();
  const out = join(dir, 'cg');
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--separate-threads=yes',
      // V8 writes the machine code it runs: valgrind must notice code that changes.
      '--smc-check=all-non-file',
      `--callgrind-out-file=${out}.%p`,
      process.execPath,
      ...SERVE_NODE_FLAGS,
      MAIN,
      'serve',
    ],
    { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const control = (...args: string[]) => execFileSync('callgrind_control', [...args, String(child.pid)], { stdio: 'ignore' });
  const rows: string[] = [];
  try {
    const t0 = performance.now();
    await waitFor(child, `http://127.0.0.1:${port}/healthz`);
    console.error(`roster serve ready under valgrind in ${Math.round((performance.now() - t0) / 1000)} s`);
    const widget = `http://127.0.0.1:${port}/v1/widget/user`;
    const runId = Date.now().toString(36);
    let i = 0;
    const USERS = 500;
    const returning: Body = () => `{"user":{"id":"u-${i++ % USERS}","names":"User ${i % USERS}"}}`;
    const fresh: Body = () => `{"user":{"id":"new-${runId}-${i++}","names":"New User","legalId":"1223334444"}}`;
    const signup: Body = () => `{"name":"Juan","lastName":"Pérez","email":"u${runId}-${i++}@bench.test","password":"Secure-Passphrase-123!","company":"bench"}`;

    const measure = async (key: string, name: string, url: string, headers: Record<string, string>, body: Body, warmup: number, amount: number) => {
      if (!run(key)) return;
      await drive(url, headers, body, warmup);
      control('--zero');
      control('--instr=on');
      await drive(url, headers, body, amount);
      control('--instr=off');
      control(`--dump=${key}`);
      // The dump is written asynchronously by the server's next valgrind scheduling point.
      await new Promise((r) => setTimeout(r, 2000));
      const byThread = counts(dir, key);
      const loop = byThread.get(1) ?? NaN;
      let all = 0;
      for (const n of byThread.values()) all += n;
      rows.push(`| ${name} | ${amount} | ${Math.round(loop / amount).toLocaleString('en')} | ${Math.round(all / amount).toLocaleString('en')} |`);
      console.error(rows.at(-1));
    };

    // The users the returning phase finds, created (and the new-user path warmed) first.
    await drive(widget, basic, () => `{"user":{"id":"u-${i++ % USERS}","names":"User ${i % USERS}"}}`, USERS, 1);
    await measure('returning', 'widget, returning user', widget, basic, returning, WARMUP, REQUESTS);
    await measure('new', 'widget, new user', widget, basic, fresh, WARMUP, REQUESTS);
    await measure('signup', 'Plazbot sign-up', `http://127.0.0.1:${port}/api/user`, bearer, signup, 40, 100);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
    if (process.env.INSTR_KEEP) console.error(dir);
    else rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    [
      `instructions per request (valgrind callgrind), ${new Date().toISOString()}, Node ${process.version}, ${CONNECTIONS} connections`,
      '',
      '| phase | requests counted | event loop (thread 1) | all threads |',
      '| --- | ---: | ---: | ---: |',
      ...rows,
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
