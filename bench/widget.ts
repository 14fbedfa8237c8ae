/**
 * roster's hottest path, POST /v1/widget/user for a returning user on the embedded SQLite store,
 * against a bare Node http server that parses and echoes the same JSON body, in one run on one
 * machine. Both servers run as child processes; autocannon drives them from this process.
 *
 *   npm run build && node dist/bench/widget.js          (BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_ROUNDS)
 *
 * Loopback only; every run is bounded in time.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMicros, ECHO_SERVER, freePort, ROSTER_MAIN, seedBenchTenant, sqliteEnv, waitFor } from './servers.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const MAIN = ROSTER_MAIN;

/**
 * Requests/s, and the server's own CPU per request: the second is robust to a busy machine and to
 * the load generator's limits, the first is what the target is stated in.
 */
async function load(url: string, pid: number, headers: Record<string, string>, body: string) {
  const cpu0 = cpuMicros(pid);
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  const cpu = cpuMicros(pid) - cpu0;
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx, cpuPerRequestUs: cpu / Math.max(1, r.requests.total) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-'));
  const env = sqliteEnv(join(dir, 'bench.db'));
  const { basic: auth } = seedBenchTenant(env);
  const body = JSON.stringify({ user: { id: 'returning-user-1', names: 'Returning User', legalId: '1223334444' } });

  const echoPort = await freePort();
  const echo = spawn(process.execPath, ['-e', ECHO_SERVER], { env: { ...process.env, PORT: String(echoPort) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const rosterPort = await freePort();
  // Access logs stay on, as in production; they go to /dev/null rather than a terminal.
  const roster = spawn(
    process.execPath,
    [...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), MAIN, 'serve', '--port', String(rosterPort)],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    await waitFor(echo, `http://127.0.0.1:${echoPort}/`);
    await waitFor(roster, `http://127.0.0.1:${rosterPort}/healthz`);
    const echoUrl = `http://127.0.0.1:${echoPort}/`;
    const rosterUrl = `http://127.0.0.1:${rosterPort}/v1/widget/user`;
    const first = await fetch(rosterUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body });
    if (first.status !== 200) throw new Error(`roster answered ${first.status}: ${await first.text()}`);
    // Warm both up (JIT, statement cache) before measuring.
    await autocannon({ url: echoUrl, method: 'POST', body, connections: 10, duration: 2 });
    await autocannon({ url: rosterUrl, method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body, connections: 10, duration: 2 });

    const results: Array<{ round: number; echo: number; roster: number; echoCpuUs: number; rosterCpuUs: number; rosterP99: number; errors: number }> = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // BENCH_ONLY=roster skips the echo runs (for profiling roster alone).
      const e = process.env.BENCH_ONLY === 'roster' ? { rps: NaN, errors: 0, cpuPerRequestUs: NaN } : await load(echoUrl, echo.pid!, {}, body);
      const r = await load(rosterUrl, roster.pid!, auth, body);
      results.push({
        round,
        echo: Math.round(e.rps),
        roster: Math.round(r.rps),
        echoCpuUs: Math.round(e.cpuPerRequestUs),
        rosterCpuUs: Math.round(r.cpuPerRequestUs),
        rosterP99: r.p99,
        errors: e.errors + r.errors,
      });
    }
    const mean = (k: 'echo' | 'roster' | 'echoCpuUs' | 'rosterCpuUs') => results.reduce((s, r) => s + r[k], 0) / results.length;
    console.table(results);
    const round2 = (n: number) => Math.round(n * 100) / 100;
    console.log(
      JSON.stringify({
        seconds: SECONDS,
        connections: CONNECTIONS,
        echoRps: Math.round(mean('echo')),
        rosterRps: Math.round(mean('roster')),
        ratio: round2(mean('roster') / mean('echo')),
        echoCpuUsPerRequest: Math.round(mean('echoCpuUs')),
        rosterCpuUsPerRequest: Math.round(mean('rosterCpuUs')),
        cpuRatio: round2(mean('echoCpuUs') / mean('rosterCpuUs')),
        target: 0.4,
      }),
    );
  } finally {
    echo.kill();
    roster.kill('SIGINT');
    await Promise.all([once(echo, 'exit'), once(roster, 'exit')]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
