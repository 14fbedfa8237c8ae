import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Migrator, sql, type Migration } from 'kysely';
import { digest } from '../src/identity/secrets.js';
import { openDb } from '../src/store/db.js';
import { foundation } from '../src/store/migrations/001_foundation.js';
import { users } from '../src/store/migrations/002_users.js';
import { chatwoot } from '../src/store/migrations/004_chatwoot.js';
import { createTestDatabase, STORES } from './fixtures/databases.js';

for (const kind of STORES) {
  describe(`migration 004_chatwoot (${kind})`, () => {
    it("turns existing users' plain pubsub tokens into digests", async () => {
      const t = await createTestDatabase(kind);
      const store = openDb(t.url);
      try {
        const ctx = { kind: store.kind };
        const migrate = async (set: Record<string, Migration>) => {
          const r = await new Migrator({ db: store.db, provider: { getMigrations: () => Promise.resolve(set) } }).migrateToLatest();
          if (r.error) throw r.error instanceof Error ? r.error : new Error('migration failed');
        };
        await migrate({ '001_foundation': foundation(ctx), '002_users': users(ctx) });
        const now = new Date().toISOString();
        await sql`insert into companies (code, name, created_at, updated_at) values ('acme', 'Acme', ${now}, ${now})`.execute(store.db);
        for (const [email, token] of [
          ['a@acme.test', 'plain-token-a'],
          ['b@acme.test', 'plain-token-b'],
        ]) {
          await sql`insert into users (company_id, email, name, pubsub_token, created_via, created_at, updated_at)
                    values (1, ${email}, 'x', ${token}, 'cli', ${now}, ${now})`.execute(store.db);
        }
        await migrate({ '001_foundation': foundation(ctx), '002_users': users(ctx), '004_chatwoot': chatwoot(ctx) });
        const rows = await store.db.selectFrom('users').select(['email', 'pubsub_token_digest']).orderBy('email').execute();
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
}
