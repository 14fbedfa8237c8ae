import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Migrator } from 'kysely';
import { openDb } from '../src/store/db.js';
import { MIGRATION_NAMES, migrateToLatest } from '../src/store/migrate.js';
import { foundation } from '../src/store/migrations/001_foundation.js';
import { users } from '../src/store/migrations/002_users.js';
import { chatwoot } from '../src/store/migrations/004_chatwoot.js';
import { createTestDatabase, STORES } from './helpers.js';

for (const kind of STORES) {
  describe(`migrations (${kind})`, () => {
    it('applies 003_plazbot to a database that already has 004_chatwoot', async () => {
      const t = await createTestDatabase(kind);
      const db = openDb(t.url);
      try {
        const early = new Migrator({
          db: db.db,
          provider: { getMigrations: async () => ({ '001_foundation': foundation({ kind }), '002_users': users({ kind }), '004_chatwoot': chatwoot({ kind }) }) },
        });
        assert.equal((await early.migrateToLatest()).error, undefined);
        assert.deepEqual(await migrateToLatest(db), ['003_plazbot', '005_fixes']);
        assert.deepEqual(await migrateToLatest(db), []);
        const applied = await db.db.selectFrom('kysely_migration' as never).select('name' as never).execute();
        assert.deepEqual(applied.map((r) => (r as { name: string }).name).sort(), [...MIGRATION_NAMES].sort());
        assert.deepEqual(await db.db.selectFrom('outbox').selectAll().execute(), []);
      } finally {
        await db.close();
        await t.drop();
      }
    });
  });
}
