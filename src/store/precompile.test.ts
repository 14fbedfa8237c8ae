import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTestDb, STORES } from '../../test/fixtures/databases.js';
import { insertCompany } from './companies.js';
import type { Db } from './db.js';
import { precompile } from './precompile.js';

const byCodeAndName = precompile(['code', 'name'], (db, p) =>
  db.selectFrom('companies').select(['id', 'code']).where('name', '=', p.name).where('code', '=', p.code),
);

for (const kind of STORES) {
  describe(`precompile (${kind})`, () => {
    let t: { db: Db; close(): Promise<void> };
    before(async () => {
      t = await openTestDb(kind);
      const now = new Date().toISOString();
      for (const code of ['a', 'b']) await insertCompany(t.db.kysely, { code, name: `Name ${code}`, requireEmailVerification: false, now });
    });
    after(() => t.close());

    it('binds each call its own values, whatever order the SQL names them in', async () => {
      assert.deepEqual(
        (await byCodeAndName(t.db.kysely, { code: 'a', name: 'Name a' })).map((r) => r.code),
        ['a'],
      );
      assert.deepEqual(
        (await byCodeAndName(t.db.kysely, { code: 'b', name: 'Name b' })).map((r) => r.code),
        ['b'],
      );
      assert.deepEqual(await byCodeAndName(t.db.kysely, { code: 'a', name: 'Name b' }), []);
    });

    it('refuses a query whose parameters are not all placeholders', async () => {
      const bad = precompile(['code'], (db, p) => db.selectFrom('companies').select('id').where('code', '=', p.code).where('name', '=', 'fixed'));
      await assert.rejects(bad(t.db.kysely, { code: 'a' }), /not a placeholder/);
    });
  });
}
