import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { digest } from '../../src/identity/secrets.js';
import { openDb } from '../../src/store/db.js';
import { MIGRATION_NAMES, migrateToLatest } from '../../src/store/migrate.js';
import { foundation } from '../../src/store/migrations/001_foundation.js';
import { users } from '../../src/store/migrations/002_users.js';
import { chatwoot } from '../../src/store/migrations/004_chatwoot.js';
import { plazbot } from '../../src/store/migrations/003_plazbot.js';
import { unicodeKeys } from '../../src/store/migrations/015_unicode_keys.js';
import { queueMail } from '../../src/mail/outbox.js';
import { createTestDatabase, forEachStore } from '../fixtures/databases.js';
import { newUserRow } from '../../src/identity/users.js';

forEachStore('migrations', (kind) => {
  it('applies 003_plazbot to a database that already has 004_chatwoot', async () => {
    const t = await createTestDatabase(kind);
    const db = openDb(t.url);
    try {
      const early = new Migrator({
        db: db.kysely,
        provider: {
          getMigrations: async () => ({ '001_foundation': foundation({ kind }), '002_users': users({ kind }), '004_chatwoot': chatwoot({ kind }) }),
        },
      });
      assert.equal((await early.migrateToLatest()).error, undefined);
      // Everything the early node did not have, 003 included, in order.
      assert.deepEqual(
        await migrateToLatest(db),
        MIGRATION_NAMES.filter((n) => !['001_foundation', '002_users', '004_chatwoot'].includes(n)),
      );
      assert.deepEqual(await migrateToLatest(db), []);
      const applied = await db.kysely
        .selectFrom('kysely_migration' as never)
        .select('name' as never)
        .execute();
      assert.deepEqual(applied.map((r) => (r as { name: string }).name).sort(), [...MIGRATION_NAMES].sort());
      assert.deepEqual(await db.kysely.selectFrom('outbox').selectAll().execute(), []);
    } finally {
      await db.close();
      await t.drop();
    }
  });

  it('005_fixes keeps the oldest of the verification mails waiting for one user and cancels the others', async () => {
    const t = await createTestDatabase(kind);
    const db = openDb(t.url);
    try {
      const ctx = { kind };
      const early = new Migrator({
        db: db.kysely,
        provider: {
          getMigrations: async () => ({
            '001_foundation': foundation(ctx),
            '002_users': users(ctx),
            '003_plazbot': plazbot(ctx),
            '004_chatwoot': chatwoot(ctx),
          }),
        },
      });
      assert.equal((await early.migrateToLatest()).error, undefined);
      // Raw rows: the services of today record events, whose table a database at 004 does not have yet.
      const now = new Date().toISOString();
      const company = await db.kysely
        .insertInto('companies')
        .values({ code: 'acme', name: 'Acme', require_email_verification: 0, created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      // Only the columns a database at 004 has (later migrations add more to users).
      const AT_004 = [
        'company_id',
        'email',
        'name',
        'last_name',
        'display_name',
        'password_hash',
        'email_verified_at',
        'default_start_week',
        'is_external_creation',
        'custom_attributes',
        'ui_settings',
        'message_signature',
        'pubsub_token_digest',
        'created_via',
        'created_at',
        'updated_at',
      ];
      const row = newUserRow(
        { companyId: company.id, email: 'dup@example.com', name: 'D', passwordHash: null, emailVerified: false, createdVia: 'plazbot' },
        now,
      );
      const u = await db.kysely
        .insertInto('users')
        .values(Object.fromEntries(Object.entries(row).filter(([k]) => AT_004.includes(k))) as typeof row)
        .returning(['id', 'email'])
        .executeTakeFirstOrThrow();
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await queueMail(db.kysely, 'verify_email', u));
      const reset = await queueMail(db.kysely, 'reset_password', u);
      assert.deepEqual((await migrateToLatest(db))[0], '005_fixes');
      const rows = await db.kysely.selectFrom('outbox').select(['id', 'status']).orderBy('id').execute();
      assert.deepEqual(rows, [
        { id: ids[0], status: 'pending' },
        { id: ids[1], status: 'cancelled' },
        { id: ids[2], status: 'cancelled' },
        { id: reset, status: 'pending' },
      ]);
      await assert.rejects(queueMail(db.kysely, 'verify_email', u), 'a second waiting verification mail is refused');
    } finally {
      await db.close();
      await t.drop();
    }
  });
});

forEachStore('migration 004_chatwoot', (kind) => {
  it("turns existing users' plain pubsub tokens into digests", async () => {
    const t = await createTestDatabase(kind);
    const store = openDb(t.url);
    try {
      const ctx = { kind: store.kind };
      const migrate = async (set: Record<string, Migration>) => {
        const r = await new Migrator({ db: store.kysely, provider: { getMigrations: () => Promise.resolve(set) } }).migrateToLatest();
        if (r.error) throw r.error instanceof Error ? r.error : new Error('migration failed');
      };
      await migrate({ '001_foundation': foundation(ctx), '002_users': users(ctx) });
      const now = new Date().toISOString();
      await sql`insert into companies (code, name, created_at, updated_at) values ('acme', 'Acme', ${now}, ${now})`.execute(store.kysely);
      for (const [email, token] of [
        ['a@acme.test', 'plain-token-a'],
        ['b@acme.test', 'plain-token-b'],
      ]) {
        await sql`insert into users (company_id, email, name, pubsub_token, created_via, created_at, updated_at)
                    values (1, ${email}, 'x', ${token}, 'cli', ${now}, ${now})`.execute(store.kysely);
      }
      await migrate({ '001_foundation': foundation(ctx), '002_users': users(ctx), '004_chatwoot': chatwoot(ctx) });
      const rows = await store.kysely.selectFrom('users').select(['email', 'pubsub_token_digest']).orderBy('email').execute();
      assert.deepEqual(rows, [
        { email: 'a@acme.test', pubsub_token_digest: digest('plain-token-a') },
        { email: 'b@acme.test', pubsub_token_digest: digest('plain-token-b') },
      ]);
    } finally {
      await store.close();
      await t.drop();
    }
  });
});

forEachStore('migration 015_unicode_keys', (kind) => {
  it('brings stored emails and SCIM userName keys to NFC, leaving a key whose NFC form another row holds', async () => {
    const t = await createTestDatabase(kind);
    const db = openDb(t.url);
    try {
      await migrateToLatest(db);
      const now = new Date().toISOString();
      const company = await db.kysely
        .insertInto('companies')
        .values({ code: 'acme', name: 'Acme', require_email_verification: 0, created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      // Rows as an older roster stored them: the same-looking address decomposed ("e" + U+0301).
      const user = async (email: string, userNameKey: string | null = null) => {
        const row = {
          ...newUserRow({ companyId: company.id, email: 'x@x.test', name: 'U', passwordHash: null, emailVerified: false, createdVia: 'scim' }, now),
          email,
        };
        const { id } = await db.kysely.insertInto('users').values(row).returning('id').executeTakeFirstOrThrow();
        if (userNameKey !== null)
          await db.kysely.updateTable('users').set({ user_name: userNameKey, user_name_key: userNameKey }).where('id', '=', id).execute();
        return id;
      };
      const alone = await user('ple\u0301@acme.test', 're\u0301ne');
      const nfcTwin = await user('jos\u00e9@acme.test');
      const nfdTwin = await user('jose\u0301@acme.test');
      const ascii = await user('plain@acme.test', 'plain');
      // A userName is the key, or the email of a user without one: neither is rewritten onto the other.
      const emailOnKey = await user('mare\u0301@acme.test');
      const keyHolder = await user('other1@acme.test', 'mar\u00e9@acme.test');
      const keyOnEmail = await user('other2@acme.test', 'le\u0301a@acme.test');
      const emailHolder = await user('l\u00e9a@acme.test');
      await sql`insert into operators (email, password_hash, created_at) values (${'zoe\u0308@ops.test'}, 'x', ${now})`.execute(db.kysely);

      await unicodeKeys().up(db.kysely as unknown as Kysely<unknown>);

      const rows = await db.kysely.selectFrom('users').select(['id', 'email', 'user_name_key']).orderBy('id').execute();
      assert.deepEqual(rows, [
        { id: alone, email: 'pl\u00e9@acme.test', user_name_key: 'r\u00e9ne' },
        { id: nfcTwin, email: 'jos\u00e9@acme.test', user_name_key: null },
        { id: nfdTwin, email: 'jose\u0301@acme.test', user_name_key: null },
        { id: ascii, email: 'plain@acme.test', user_name_key: 'plain' },
        { id: emailOnKey, email: 'mare\u0301@acme.test', user_name_key: null },
        { id: keyHolder, email: 'other1@acme.test', user_name_key: 'mar\u00e9@acme.test' },
        { id: keyOnEmail, email: 'other2@acme.test', user_name_key: 'le\u0301a@acme.test' },
        { id: emailHolder, email: 'l\u00e9a@acme.test', user_name_key: null },
      ]);
      const operators = await db.kysely.selectFrom('operators').select('email').execute();
      assert.deepEqual(operators, [{ email: 'zo\u00eb@ops.test' }]);
    } finally {
      await db.close();
      await t.drop();
    }
  });
});
