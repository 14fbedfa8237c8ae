import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { after, before, describe, it } from 'node:test';
import { openTestDb, STORES } from '../../test/fixtures/databases.js';
import { insertCompany } from './companies.js';
import type { Db } from './db.js';
import { inTransaction } from './transaction.js';
import { insertBaseUser, type BaseNewUser } from './users.js';

const now = new Date().toISOString();
const row = (companyId: number, email: string): BaseNewUser => ({
  company_id: companyId,
  email,
  name: 'Ana',
  last_name: null,
  display_name: null,
  password_hash: null,
  email_verified_at: now,
  default_start_week: 0,
  is_external_creation: 1,
  custom_attributes: '{}',
  ui_settings: '{}',
  message_signature: null,
  pubsub_token_digest: email.padEnd(64, '0'),
  created_via: 'plazbot',
  created_at: now,
  updated_at: now,
});

for (const kind of STORES) {
  describe(`insertBaseUser (${kind})`, () => {
    let t: { db: Db; close(): Promise<void> };
    let companyId: number;
    before(async () => {
      t = await openTestDb(kind);
      companyId = (await insertCompany(t.db.kysely, { code: 'c', name: 'C', requireEmailVerification: false, now }))!.id;
    });
    after(() => t.close());

    it('answers the whole stored user, with the columns it left to their defaults; undefined for a taken email', async () => {
      const user = await insertBaseUser(t.db.kysely, row(companyId, 'ana@example.com'));
      assert.equal(user?.email, 'ana@example.com');
      assert.equal(user?.active, 1);
      assert.equal(user?.credential_version, 0);
      assert.equal(user?.external_id, null);
      assert.equal(await insertBaseUser(t.db.kysely, row(companyId, 'ana@example.com')), undefined);
    });

    if (kind !== 'sqlite') {
      it('still inserts inside a transaction after another process adds a column to users (a rolling upgrade)', async () => {
        const emails = await t.db.kysely.connection().execute(async (conn) => {
          const first = await inTransaction(conn, (trx) => insertBaseUser(trx, row(companyId, 'before@example.com')));
          // Prepared on this connection with the old shape of users; then a migration elsewhere.
          await sql`alter table users add column added_later integer`.execute(t.db.kysely);
          try {
            const second = await inTransaction(conn, (trx) => insertBaseUser(trx, row(companyId, 'after@example.com')));
            return [first?.email, second?.email];
          } finally {
            await sql`alter table users drop column added_later`.execute(t.db.kysely);
          }
        });
        assert.deepEqual(emails, ['before@example.com', 'after@example.com']);
      });
    }
  });
}
