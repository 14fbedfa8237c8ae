/**
 * Several roster nodes on one database, for the tests that prove roster behaves as one service:
 * in-process servers (two `start()` calls) and separate `roster serve` processes, all on the same
 * PostgreSQL database. Also: running the CLI as a child process, and a TCP proxy that can cut the
 * database away and bring it back.
 *
 * A new cross-node race is a few lines: `const c = await startCluster({ processes: 1 })`, seed
 * through `c.db`, then `await fanOut(c.nodes, 60, (node) => call(node.url, 'POST', ...))` and assert
 * on the replies (one 200 and 409s, say) and on the rows through `c.db`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { start } from '../src/main.js';
import { loadConfig } from '../src/config.js';
import { openDb, type Db } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { createTestDatabase, TEST_SECRET_KEY, type TestDatabase } from './helpers.js';

/** The compiled CLI (dist/src/cli/roster.js), found from this compiled file (dist/test/cluster.js). */
export const CLI = fileURLToPath(new URL('../src/cli/roster.js', import.meta.url));

export const POSTGRES = !!process.env.DATABASE_URL_TEST;
export const SKIP_POSTGRES = POSTGRES ? false : 'DATABASE_URL_TEST is not set';
export const REDIS = process.env.REDIS_URL_TEST;
export const SKIP_REDIS = REDIS ? false : 'REDIS_URL_TEST is not set';

export interface ClusterNode {
  name: string;
  url: string;
  kind: 'in-process' | 'process';
  /** The child process of a `process` node. */
  child?: ChildProcess;
  stop(): Promise<void>;
}

export interface Cluster {
  database: TestDatabase;
  /** An admin handle on the shared database, for seeding and for asserting on rows. */
  db: Db;
  nodes: ClusterNode[];
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** In-process servers (`start()` in this process). Default 2. */
  inProcess?: number;
  /** `roster serve` child processes. Default 0. */
  processes?: number;
  /** Environment for every node (on top of a quiet, seedless test default). */
  env?: Record<string, string>;
  /** Where the nodes find the database, when not the database itself (a proxy in front of it). */
  nodeDatabaseUrl?: (database: TestDatabase) => string;
}

const BASE_ENV = { PORT: '0', LOG_LEVEL: 'silent', SEED_DEMO: 'false', DATABASE_POOL_SIZE: '4', ROSTER_SECRET_KEY: TEST_SECRET_KEY };

/** Nodes on one fresh PostgreSQL database (dropped by stop()). */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const database = await createTestDatabase('postgres');
  const db = openDb(database.url, { poolSize: 4 });
  const nodes: ClusterNode[] = [];
  const stop = async () => {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await db.close();
    await database.drop();
  };
  try {
    await migrateToLatest(db);
    const url = opts.nodeDatabaseUrl?.(database) ?? database.url;
    const env = { ...BASE_ENV, ...opts.env, DATABASE_URL: url };
    for (let i = 0; i < (opts.inProcess ?? 2); i++) {
      const running = await start(loadConfig(env));
      nodes.push({ name: `node-${nodes.length + 1}`, url: running.url, kind: 'in-process', stop: () => running.close() });
    }
    for (let i = 0; i < (opts.processes ?? 0); i++) nodes.push(await spawnNode(`node-${nodes.length + 1}`, env));
    return { database, db, nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `count` concurrent calls, spread round-robin over the nodes, all started before any is awaited. */
export function fanOut<T>(nodes: ClusterNode[], count: number, fn: (node: ClusterNode, i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => fn(nodes[i % nodes.length]!, i)));
}

/** `roster serve --port 0` as a child process; resolves once it logs where it listens. */
export async function spawnNode(name: string, env: Record<string, string>): Promise<ClusterNode> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const onData = (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as { msg?: string; url?: string };
          if (rec.msg === 'roster is listening' && rec.url) resolve(rec.url);
        } catch {
          // not a log line
        }
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening: ${stderr}`)));
  });
  return {
    name,
    url,
    kind: 'process',
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled `roster` CLI as a child process. */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Polls `probe` until it returns true, or fails after `deadlineMs`. */
export async function eventually(what: string, deadlineMs: number, probe: () => Promise<boolean>, everyMs = 100): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > until) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A TCP proxy on 127.0.0.1 in front of the database, for outage tests:
 * - `refuse()`: cut every open connection and stop listening (new connections: ECONNREFUSED);
 * - `blackhole()`: keep every connection open but forward nothing, and accept new ones that never
 *   answer (a network partition: no reset, no answer; only timeouts notice);
 * - `restore()`: forward again for new connections. Connections blackholed before stay dead, as
 *   after a peer that vanished: the client must notice and drop them.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket | undefined }>();
  private mode: 'up' | 'blackhole' = 'up';
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static forUrl(url: string): TcpProxy {
    const u = new URL(url);
    return new TcpProxy(u.hostname, Number(u.port || 5432));
  }

  /** `url` with its host and port replaced by the proxy's. */
  urlThrough(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  async listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    server.on('error', () => {});
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    const addr = server.address();
    if (typeof addr === 'object' && addr) this.port = addr.port;
    this.server = server;
  }

  private accept(client: Socket): void {
    const pair: { client: Socket; upstream: Socket | undefined } = { client, upstream: undefined };
    this.pairs.add(pair);
    client.on('error', () => {});
    client.on('close', () => {
      pair.upstream?.destroy();
      this.pairs.delete(pair);
    });
    if (this.mode === 'blackhole') {
      client.pause();
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Destroys every open connection (both sides see a reset or an end). */
  cut(): void {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream?.destroy();
    }
    this.pairs.clear();
  }

  async refuse(): Promise<void> {
    this.cut();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  blackhole(): void {
    this.mode = 'blackhole';
    for (const p of this.pairs) {
      p.client.unpipe();
      p.upstream?.unpipe();
      p.client.pause();
      p.upstream?.pause();
    }
  }

  async restore(): Promise<void> {
    this.mode = 'up';
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    await this.refuse();
    for (const p of this.pairs) p.client.destroy();
  }
}
