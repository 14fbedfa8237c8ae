/**
 * What the benchmarks share to run servers as child processes: the Node.js flags `npm start` runs
 * `roster serve` with, a free port, waiting for a server to answer, and a process's CPU time.
 */
import type { ChildProcess } from 'node:child_process';
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
