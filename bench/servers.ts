/**
 * What the benchmarks share to run servers as child processes: the Node.js flags `npm start` runs
 * `roster serve` with, a free port, waiting for a server to answer, a process's CPU time, the
 * bench tenant on a new SQLite file, the echo ceiling and the reference server's settings.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };

const startWords = pkg.scripts.start.split(/\s+/).slice(1);

/**
 * The flags of package.json's start script, so that the benchmarks measure the server as it is
 * run: `node <flags> dist/bundle/roster.js serve`. Only `--flag` and `--flag=value` forms are
 * taken (a flag whose value is a separate word is not).
 */
export const SERVE_NODE_FLAGS: string[] = startWords.filter((arg) => arg.startsWith('--'));

/** The script the start script runs (the bundle, scripts/bundle.mjs), as an absolute path. */
export const ROSTER_MAIN: string = fileURLToPath(new URL(`../../${startWords.find((arg) => !arg.startsWith('-'))}`, import.meta.url));

/** A port nothing listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** Polls `url` until the server answers (any status); fails if the child exits or the time runs out. */
export async function waitFor(child: ChildProcess, url: string, { timeoutMs = 60_000, intervalMs = 20 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`server at ${url} did not start`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** CPU time (user + system) a process, or one of its threads, has used, in microseconds, from /proc (USER_HZ 100). */
export function cpuMicros(pid: number, thread?: number): number {
  const fields = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8')
    .split(') ')[1]!
    .split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

/** The environment of roster's CLI and server on the SQLite file `dbFile`, no demo company. */
export function sqliteEnv(dbFile: string): NodeJS.ProcessEnv {
  return { ...process.env, DATABASE_URL: `sqlite:${dbFile}`, SEED_DEMO: 'false', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
}

export interface BenchTenant {
  client: { clientId: string; clientSecret: string };
  /** The widget's Basic credentials, as a header. */
  basic: { authorization: string };
  /** The Plazbot API token, as a header. */
  bearer: { authorization: string };
}

/** Migrates the database `env` names and creates company `bench`, a widget client and an API token, with roster's own CLI. */
export function seedBenchTenant(env: NodeJS.ProcessEnv): BenchTenant {
  const cli = (...args: string[]) =>
    JSON.parse(execFileSync(process.execPath, [ROSTER_MAIN, ...args, '--json'], { env, encoding: 'utf8' })) as Record<string, string>;
  execFileSync(process.execPath, [ROSTER_MAIN, 'migrate'], { env, stdio: 'ignore' });
  cli('company', 'create', '--code', 'bench', '--name', 'Bench');
  const { clientId, clientSecret } = cli('client', 'create', '--company', 'bench');
  const { token } = cli('token', 'create', '--company', 'bench');
  if (!clientId || !clientSecret || !token) throw new Error('roster did not print the credentials it created');
  return {
    client: { clientId, clientSecret },
    basic: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    bearer: { authorization: `Bearer ${token}` },
  };
}

/** The ceiling: bare node:http reading a JSON body and answering a small JSON body (`node -e`, port from PORT). */
export const ECHO_SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const out = JSON.stringify({ message: ['ok'], status: 1, data: raw ? JSON.parse(raw) : null });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

/** The parts of roster's widget answer for one user that bench/reference-server.ts fills in the same way. */
export interface WidgetSample {
  data: { User: { botId: string }; Room: { bot: { name: string }; company: { id: number; name: string } } };
}

/** bench/reference-server.ts's environment: the database, the widget client (its secret as SHA-256) and what roster answered. */
export function referenceServerEnv(dbFile: string, client: BenchTenant['client'], sample: WidgetSample): Record<string, string> {
  return {
    DB: dbFile,
    CLIENT_ID: client.clientId,
    SECRET_SHA256: createHash('sha256').update(client.clientSecret).digest('hex'),
    BOT_ID: sample.data.User.botId,
    BOT_NAME: sample.data.Room.bot.name,
    COMPANY_ID: String(sample.data.Room.company.id),
    COMPANY_NAME: sample.data.Room.company.name,
  };
}
