import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Migrator } from 'kysely';
import { openDb } from '../src/store/db.js';
import { MIGRATION_NAMES, migrateToLatest } from '../src/store/migrate.js';
import { foundation } from '../src/store/migrations/001_foundation.js';
import { users } from '../src/store/migrations/002_users.js';
import { chatwoot } from '../src/store/migrations/004_chatwoot.js';
import { plazbot } from '../src/store/migrations/003_plazbot.js';
import { createCompany } from '../src/identity/companies.js';
import { queueMail } from '../src/mail/outbox.js';
import { createUser } from '../src/identity/users.js';
import { createTestDatabase, STORES } from './helpers.js';

for (const kind of STORES) {
  describe(`migrations (${kind})`, () => {
    it('applies 003_plazbot to a database that already has 004_chatwoot', async () => {
      const t = await createTestDatabase(kind);
      const db = openDb(t.url);
      try {
        const early = new Migrator({
          db: db.db,
          provider: {
            getMigrations: async () => ({ '001_foundation': foundation({ kind }), '002_users': users({ kind }), '004_chatwoot': chatwoot({ kind }) }),
          },
        });
        assert.equal((await early.migrateToLatest()).error, undefined);
        assert.deepEqual(await migrateToLatest(db), ['003_plazbot', '005_fixes', '006_hardening']);
        assert.deepEqual(await migrateToLatest(db), []);
        const applied = await db.db
          .selectFrom('kysely_migration' as never)
          .select('name' as never)
          .execute();
        assert.deepEqual(applied.map((r) => (r as { name: string }).name).sort(), [...MIGRATION_NAMES].sort());
        assert.deepEqual(await db.db.selectFrom('outbox').selectAll().execute(), []);
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
          db: db.db,
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
        const company = await createCompany(db, { code: 'acme', name: 'Acme' });
        const u = await createUser(db, {
          companyId: company.id,
          email: 'dup@example.com',
          name: 'D',
          passwordHash: null,
          emailVerified: false,
          createdVia: 'plazbot',
        });
        const ids = [];
        for (let i = 0; i < 3; i++) ids.push(await queueMail(db.db, 'verify_email', u));
        const reset = await queueMail(db.db, 'reset_password', u);
        assert.deepEqual(await migrateToLatest(db), ['005_fixes', '006_hardening']);
        const rows = await db.db.selectFrom('outbox').select(['id', 'status']).orderBy('id').execute();
        assert.deepEqual(rows, [
          { id: ids[0], status: 'pending' },
          { id: ids[1], status: 'cancelled' },
          { id: ids[2], status: 'cancelled' },
          { id: reset, status: 'pending' },
        ]);
        await assert.rejects(queueMail(db.db, 'verify_email', u), 'a second waiting verification mail is refused');
      } finally {
        await db.close();
        await t.drop();
      }
    });
  });
}
