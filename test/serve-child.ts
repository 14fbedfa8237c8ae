/** `roster serve --port 0` as a child process on a fresh SQLite file, with its output kept. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';

const MAIN = resolve('dist/src/cli/roster.js');

export interface ServedChild {
  child: ChildProcessWithoutNullStreams;
  url: string;
  /** Everything it printed so far, stdout and stderr. */
  out: () => string;
  /** Its JSON log lines so far. */
  logs: () => Array<Record<string, unknown>>;
  /** Sends SIGTERM; resolves with the exit code and how long the exit took (SIGKILL after `killAfterMs`). */
  stop(killAfterMs?: number): Promise<{ code: number | null; ms: number }>;
}

export async function serveChild(dir: string, env: Record<string, string> = {}): Promise<ServedChild> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0'], {
    cwd: dir,
    env: { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'roster.db')}`, PORT: '', LOG_LEVEL: 'info', SEED_DEMO: 'false', SMTP_URL: '', ...env },
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  while (!/"msg":"roster is listening"/.test(out)) {
    await Promise.race([
      once(child.stdout, 'data'),
      exited.then(() => {
        throw new Error(`serve exited: ${out}`);
      }),
    ]);
  }
  const url = /"url":"(http:[^"]+)"/.exec(out.slice(out.indexOf('roster is listening') - 300))![1]!;
  return {
    child,
    url,
    out: () => out,
    logs: () =>
      out.split('\n').flatMap((line) => {
        try {
          const rec = JSON.parse(line) as Record<string, unknown> | null;
          return rec !== null && typeof rec === 'object' ? [rec] : [];
        } catch {
          return [];
        }
      }),
    stop: async (killAfterMs = 30_000) => {
      const t0 = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const [code] = await exited;
      clearTimeout(timer);
      return { code, ms: Date.now() - t0 };
    },
  };
}
