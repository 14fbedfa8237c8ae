/**
 * Shared by the tests: databases to run against (SQLite always, PostgreSQL when
 * DATABASE_URL_TEST is set) and a real server on a random port.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { start, type Running } from '../src/main.js';
import { loadConfig } from '../src/config.js';
import { openDb, type Db } from '../src/store/db.js';
import { buildServices, type Services } from '../src/services.js';
import type { CounterStore } from '../src/infra/counters.js';
import { openSecretBox } from '../src/infra/secret-key.js';

/**
 * The installation key every test server, CLI child and service graph of this test run shares
 * (scripts/test.mjs sets ROSTER_SECRET_KEY for the run; a fixed one when a file runs alone).
 */
export const TEST_SECRET_KEY = process.env.ROSTER_SECRET_KEY ?? Buffer.alloc(32, 42).toString('base64');
import { migrateToLatest } from '../src/store/migrate.js';

export interface TestDatabase {
  kind: 'sqlite' | 'postgres';
  url: string;
  drop(): Promise<void>;
}

/** The stores every store and end-to-end test runs on. */
export const STORES: Array<'sqlite' | 'postgres'> = process.env.DATABASE_URL_TEST ? ['sqlite', 'postgres'] : ['sqlite'];

export async function createTestDatabase(kind: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'roster-test-'));
    return { kind, url: `sqlite:${join(dir, 'roster.db')}`, drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) };
  }
  const admin = process.env.DATABASE_URL_TEST;
  if (!admin) throw new Error('DATABASE_URL_TEST is not set');
  const name = `roster_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** An open, migrated database for store and core tests. */
export async function openTestDb(kind: 'sqlite' | 'postgres'): Promise<{ db: Db; close(): Promise<void> }> {
  const t = await createTestDatabase(kind);
  const db = openDb(t.url, { poolSize: 20 });
  await migrateToLatest(db);
  return {
    db,
    close: async () => {
      await db.close();
      await t.drop();
    },
  };
}

export interface TestServer extends Running {
  database: TestDatabase;
  stop(): Promise<void>;
}

/** The real server, listening on a random port, on a fresh database of the given kind. */
export async function startTestServer(kind: 'sqlite' | 'postgres', env: Record<string, string> = {}): Promise<TestServer> {
  const database = await createTestDatabase(kind);
  const config = loadConfig({ DATABASE_URL: database.url, PORT: '0', LOG_LEVEL: 'silent', SEED_DEMO: 'false', ROSTER_SECRET_KEY: TEST_SECRET_KEY, ...env });
  const running = await start(config);
  return {
    ...running,
    database,
    stop: async () => {
      await running.close();
      await database.drop();
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** fetch, returning the parsed body (or the text when it is not JSON). */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; json?: unknown; body?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** The service graph over an open database, as the composition root builds it (default configuration). */
export function servicesOf(db: Db, counters?: CounterStore): Services {
  const config = loadConfig({ ROSTER_SECRET_KEY: TEST_SECRET_KEY });
  return buildServices({ db, config, secrets: openSecretBox({ ...config, databaseUrl: 'sqlite::memory:' }), ...(counters && { counters }) });
}
