/**
 * Issue 9, points 1 and 3: a login that checked the password, then lost a race with a password
 * change, a deactivation (SCIM active: false) or a deletion, must open no session (401), on both stores. The change is made by another
 * connection (another node, say) at the exact moment the login is about to insert its session:
 * either committed just before the insert, or in flight (uncommitted, holding its locks) while the
 * insert runs and committed once the insert waits for it. The second is PostgreSQL's alone: an
 * SQLite file belongs to one process, whose one connection runs one transaction at a time, so no
 * statement of a login can run while a change is in flight.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { afterCredentialChange, afterDeactivation } from '../../src/identity/credential-changes.js';
import { hashPassword } from '../../src/identity/passwords.js';
import { openDb, type Db } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { updateUser } from '../../src/store/users.js';
import { createTestDatabase, forEachStore, type TestDatabase } from '../fixtures/databases.js';
import { servicesOf, TEST_SECRET_KEY } from '../fixtures/services.js';
import { hookedDialect } from '../fixtures/statement-hook.js';

const OLD = 'Old-Passphrase-4711';
const NEW = 'New-Passphrase-0815';

type Change = 'password' | 'deletion' | 'deactivation';
type Timing = 'committed before the insert' | 'in flight during the insert';

forEachStore('a login racing a credential change or a deletion', (kind) => {
  let database: TestDatabase;
  let db: Db;
  let other: Db;
  let app: FastifyInstance;
  let companyId: number;
  let newHash: string;
  /** Run once, just before the next session insert reaches the database. */
  let atSessionInsert: (() => Promise<void>) | undefined;
  let n = 0;

  before(async () => {
    database = await createTestDatabase(kind);
    db = openDb(database.url, {
      wrapDialect: (d) =>
        hookedDialect(d, async (sql) => {
          if (atSessionInsert && /^insert into "sessions"/i.test(sql)) {
            const hook = atSessionInsert;
            atSessionInsert = undefined;
            await hook();
          }
        }),
    });
    await migrateToLatest(db);
    // Another node's connection to the same database.
    other = openDb(database.url);
    companyId = (await servicesOf(db).companies.create({ code: 'acme', name: 'Acme' })).id;
    newHash = await hashPassword(NEW);
    app = await buildApp({
      config: loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', SEED_DEMO: 'false', ROSTER_SECRET_KEY: TEST_SECRET_KEY }),
      db,
    });
  });
  after(async () => {
    await app.close();
    await other.close();
    await db.close();
    await database.drop();
  });

  /** The change, in a transaction of `other`, committed when `commit` resolves. */
  function change(what: Change, userId: number, commit: Promise<void>): { done: Promise<void>; applied: Promise<void> } {
    let applied!: () => void;
    const appliedP = new Promise<void>((r) => (applied = r));
    const done = other.kysely.transaction().execute(async (trx) => {
      if (what === 'password') {
        const now = new Date().toISOString();
        await updateUser(trx, userId, { password_hash: newHash, updated_at: now });
        await afterCredentialChange(trx, userId, { emailChanged: false, passwordChanged: true }, now);
      } else if (what === 'deactivation') {
        // SCIM active: false, as the SCIM service writes it.
        const now = new Date().toISOString();
        await updateUser(trx, userId, { active: 0, updated_at: now });
        await afterDeactivation(trx, userId, now);
      } else {
        await trx.deleteFrom('users').where('id', '=', userId).execute();
      }
      applied();
      await commit;
    });
    return { done, applied: appliedP };
  }

  /** Resolves once a statement of this database waits for a lock, or after two seconds. */
  async function insertWaits(): Promise<void> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      for (let i = 0; i < 100; i++) {
        const { rows } = await client.query<{ n: string }>(
          "select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
        );
        if (Number(rows[0]!.n) > 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await client.end();
    }
  }

  for (const what of ['password', 'deletion', 'deactivation'] as const) {
    const timings: Timing[] = kind === 'postgres' ? ['committed before the insert', 'in flight during the insert'] : ['committed before the insert'];
    for (const timing of timings) {
      it(`answers 401 and opens no session: ${what} ${timing}`, async () => {
        const email = `racer${++n}@example.com`;
        const user = await servicesOf(db).users.create({
          companyId,
          email,
          name: 'R',
          passwordHash: await hashPassword(OLD),
          emailVerified: true,
          createdVia: 'plazbot',
        });
        let changed: Promise<void> | undefined;
        atSessionInsert = async () => {
          if (timing === 'committed before the insert') {
            await change(what, user.id, Promise.resolve()).done;
            return;
          }
          let commit!: () => void;
          const c = change(what, user.id, new Promise<void>((r) => (commit = r)));
          await c.applied;
          changed = c.done;
          // Commit once the session insert is under way (and waits for the change, where it locks).
          void insertWaits().then(commit);
        };
        const r = await app.inject({ method: 'POST', url: '/api/user/login', payload: { email, password: OLD } });
        await changed;
        assert.equal(atSessionInsert, undefined, 'the login reached its session insert');
        assert.equal(r.statusCode, 401, r.body);
        assert.equal(r.json().errorCode, 'INVALID_CREDENTIALS');
        const sessions = await db.kysely.selectFrom('sessions').select('token_digest').where('user_id', '=', user.id).execute();
        assert.deepEqual(sessions, [], 'no session survives the change');
        if (what === 'password') {
          const again = await app.inject({ method: 'POST', url: '/api/user/login', payload: { email, password: NEW } });
          assert.equal(again.statusCode, 200, 'the new password logs in');
        }
        if (what === 'deactivation') {
          const again = await app.inject({ method: 'POST', url: '/api/user/login', payload: { email, password: OLD } });
          assert.equal(again.statusCode, 403, 'a deactivated user is refused');
          assert.equal(again.json().errorCode, 'USER_DEACTIVATED');
        }
      });
    }
  }

  it('still opens a session when nothing changed', async () => {
    const email = `calm${++n}@example.com`;
    await servicesOf(db).users.create({ companyId, email, name: 'C', passwordHash: await hashPassword(OLD), emailVerified: true, createdVia: 'plazbot' });
    const r = await app.inject({ method: 'POST', url: '/api/user/login', payload: { email, password: OLD } });
    assert.equal(r.statusCode, 200, r.body);
    const me = await app.inject({ method: 'GET', url: '/api/user/me', headers: { authorization: `Bearer ${r.json().data.token}` } });
    assert.equal(me.statusCode, 200);
  });
});
