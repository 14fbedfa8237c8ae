/**
 * PostgreSQL specifics: the pool and timeouts really apply, migrations are safe from several
 * nodes at once, and `roster migrate` runs them ahead of a rollout. Skipped without
 * DATABASE_URL_TEST.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { sql } from 'kysely';
import { classifyError } from '../../src/apis/shared/errors.js';
import { openDb, type Db } from '../../src/store/db.js';
import { isUnavailable } from '../../src/store/errors.js';
import { MIGRATION_NAMES, migrateToLatest } from '../../src/store/migrate.js';
import { runCli } from '../fixtures/cli.js';
import { eventually } from '../fixtures/cluster.js';
import { createTestDatabase, SKIP_POSTGRES, type TestDatabase } from '../fixtures/databases.js';
import { call } from '../fixtures/http.js';
import { startTestServer } from '../fixtures/server.js';
import { start } from '../../src/main.js';
import { loadConfig } from '../../src/config.js';
import { TEST_SECRET_KEY } from '../fixtures/services.js';

const MIGRATIONS = [...MIGRATION_NAMES];
/** Kysely's migration lock (PostgresAdapter's LOCK_ID). */
const KYSELY_LOCK_ID = '3853314791062309107';

async function appliedMigrations(db: Db): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db.kysely);
  return rows.rows.map((r) => r.name);
}

describe('PostgreSQL pool and timeouts', { skip: SKIP_POSTGRES }, () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('postgres');
  });
  after(() => database?.drop());

  it('opens at most DATABASE_POOL_SIZE connections', async () => {
    const db = openDb(database.url, { poolSize: 2 });
    try {
      const pids = await Promise.all(Array.from({ length: 8 }, () => sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(db.kysely)));
      assert.equal(new Set(pids.map((r) => r.rows[0]!.pid)).size, 2);
    } finally {
      await db.close();
    }
  });

  it('sets statement_timeout on every connection, and a timed-out statement is a 503', async () => {
    const db = openDb(database.url, { poolSize: 2, statementTimeoutMs: 150 });
    try {
      const shown = await Promise.all([1, 2].map(() => sql<{ statement_timeout: string }>`show statement_timeout`.execute(db.kysely)));
      assert.deepEqual(
        shown.map((r) => r.rows[0]!.statement_timeout),
        ['150ms', '150ms'],
      );
      const err = await sql`select pg_sleep(5)`.execute(db.kysely).then(
        () => assert.fail('pg_sleep(5) should have been cancelled'),
        (e: unknown) => e,
      );
      assert.equal(((err as Error).cause as { code?: string }).code, '57014');
      assert.ok(isUnavailable(err));
      assert.equal(classifyError(err).status, 503);
      // The connection is still good afterwards.
      assert.equal((await sql<{ one: number }>`select 1 as one`.execute(db.kysely)).rows[0]!.one, 1);
    } finally {
      await db.close();
    }
  });

  it('has no statement timeout when it is 0', async () => {
    const db = openDb(database.url, { poolSize: 1, statementTimeoutMs: 0 });
    try {
      const r = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(db.kysely);
      assert.equal(r.rows[0]!.statement_timeout, '0');
    } finally {
      await db.close();
    }
  });

  it('applies DATABASE_POOL_SIZE and DATABASE_STATEMENT_TIMEOUT_MS to the server', async () => {
    const srv = await startTestServer('postgres', { DATABASE_POOL_SIZE: '3', DATABASE_STATEMENT_TIMEOUT_MS: '1234' });
    try {
      const r = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(srv.db.kysely);
      assert.equal(r.rows[0]!.statement_timeout, '1234ms');
      const pids = await Promise.all(
        Array.from({ length: 9 }, () => sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(srv.db.kysely)),
      );
      assert.equal(new Set(pids.map((p) => p.rows[0]!.pid)).size, 3);
    } finally {
      await srv.stop();
    }
  });
});

describe('PostgreSQL migrations from several nodes at once', { skip: SKIP_POSTGRES }, () => {
  it('applies each migration exactly once when 4 pools and 3 `roster migrate` processes start together', async () => {
    const database = await createTestDatabase('postgres');
    const dbs = Array.from({ length: 4 }, () => openDb(database.url, { poolSize: 1 }));
    try {
      const [inProcess, processes] = await Promise.all([
        Promise.all(dbs.map((db) => migrateToLatest(db))),
        Promise.all([1, 2, 3].map(() => runCli(['migrate', '--json'], { DATABASE_URL: database.url }))),
      ]);
      for (const p of processes) assert.equal(p.code, 0, p.stderr);
      const applied = [...inProcess.flat(), ...processes.flatMap((p) => (JSON.parse(p.stdout) as { applied: string[] }).applied)];
      assert.deepEqual(applied.sort(), MIGRATIONS, 'each migration applied by exactly one runner');
      assert.deepEqual(await appliedMigrations(dbs[0]!), MIGRATIONS);
      const tables = await sql<{
        n: number;
      }>`select count(*)::int as n from information_schema.tables where table_name in ('companies', 'widget_users', 'users')`.execute(dbs[0]!.kysely);
      assert.equal(tables.rows[0]!.n, 3);
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
      await database.drop();
    }
  });

  it('lets a starting node wait for another node’s migration longer than the statement timeout', async () => {
    const database = await createTestDatabase('postgres');
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      // Another node is migrating: it holds the migration lock.
      await holder.query(`select pg_advisory_lock(${KYSELY_LOCK_ID})`);
      const starting = start(
        loadConfig({
          DATABASE_URL: database.url,
          PORT: '0',
          LOG_LEVEL: 'silent',
          SEED_DEMO: 'false',
          DATABASE_STATEMENT_TIMEOUT_MS: '100',
          DATABASE_POOL_SIZE: '2',
          ROSTER_SECRET_KEY: TEST_SECRET_KEY,
        }),
      );
      const failedEarly = starting.then(
        () => false,
        () => true,
      );
      // Until it waits on the lock (well past its 100 ms statement timeout).
      await eventually('the node waits for the migration lock', 20_000, async () => {
        const r = await holder.query<{ n: number }>(`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`);
        return r.rows[0]!.n > 0;
      });
      await new Promise((r) => setTimeout(r, 400));
      await holder.query(`select pg_advisory_unlock(${KYSELY_LOCK_ID})`);
      assert.equal(await Promise.race([failedEarly, Promise.resolve(false)]), false);
      const running = await starting;
      try {
        assert.equal((await call(running.url, 'GET', '/readyz')).status, 200);
        assert.deepEqual(await appliedMigrations(running.db), MIGRATIONS);
      } finally {
        await running.close();
      }
    } finally {
      await holder.end();
      await database.drop();
    }
  });
});

describe('roster migrate on PostgreSQL', { skip: SKIP_POSTGRES }, () => {
  it('applies the migrations once, then reports the database up to date', async () => {
    const database = await createTestDatabase('postgres');
    try {
      const first = await runCli(['migrate', '--json'], { DATABASE_URL: database.url });
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(JSON.parse(first.stdout), { applied: MIGRATIONS });
      const second = await runCli(['migrate', '--json'], { DATABASE_URL: database.url });
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(JSON.parse(second.stdout), { applied: [] });
      const human = await runCli(['migrate'], { DATABASE_URL: database.url });
      assert.equal(human.stdout.trim(), 'database is up to date');
    } finally {
      await database.drop();
    }
  });

  it('fails with a clear message, and no password, when the database is unreachable', async () => {
    const r = await runCli(['migrate'], { DATABASE_URL: 'postgres://roster:hunter2@127.0.0.1:1/roster', DATABASE_CONNECT_TIMEOUT_MS: '500' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cannot reach the database/);
    assert.ok(!r.stderr.includes('hunter2'));
  });
});
