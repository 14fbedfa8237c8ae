import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openTestDb, STORES } from '../../test/fixtures/databases.js';
import { insertCompany } from './companies.js';
import type { Db } from './db.js';
import { precompile, preparedName } from './precompile.js';

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

    it('names its statement (prepared on PostgreSQL); other queries stay unnamed', () => {
      const name = preparedName(byCodeAndName.query(t.db.kysely, { code: 'a', name: 'x' }).sql);
      // From the SQL text: the same name for the same statement in every process, whatever order they first ran it in.
      assert.equal(
        name,
        `roster_${createHash('sha1')
          .update(byCodeAndName.query(t.db.kysely, { code: 'a', name: 'x' }).sql)
          .digest('hex')
          .slice(0, 16)}`,
      );
      assert.equal(preparedName(t.db.kysely.selectFrom('companies').select('id').compile().sql), undefined);
    });

    if (kind !== 'sqlite') {
      it('runs as a named prepared statement on PostgreSQL, parsed once per connection', async () => {
        const text = byCodeAndName.query(t.db.kysely, { code: 'a', name: 'x' }).sql;
        const prepared = await t.db.kysely.connection().execute(async (conn) => {
          for (const code of ['a', 'b', 'a']) await byCodeAndName(conn, { code, name: `Name ${code}` });
          return (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(conn)).rows;
        });
        assert.deepEqual(
          prepared.filter((p) => p.statement === text).map((p) => p.name),
          [preparedName(text)],
        );
      });

      it('still answers when the server no longer has the statement as prepared: a pooler reset, a migration', async () => {
        const codes = await t.db.kysely.connection().execute(async (conn) => {
          const answers: string[] = [];
          const ask = async () => answers.push(...(await byCodeAndName(conn, { code: 'a', name: 'Name a' })).map((r) => r.code));
          await ask();
          // What PgBouncer sends when it resets a server connection: the name is gone (26000).
          await sql`deallocate all`.execute(conn);
          await ask();
          await ask();
          // Another process migrates a selected column's type: "cached plan must not change result type" (0A000).
          await t.db.kysely.connection().execute(async (other) => {
            await byCodeAndName(other, { code: 'b', name: 'Name b' });
            await sql`alter table companies alter column code type varchar(200)`.execute(t.db.kysely);
            await byCodeAndName(other, { code: 'b', name: 'Name b' });
          });
          await ask();
          return answers;
        });
        assert.deepEqual(codes, ['a', 'a', 'a', 'a']);
      });
    }

    it('refuses a query whose parameters are not all placeholders', async () => {
      const bad = precompile(['code'], (db, p) => db.selectFrom('companies').select('id').where('code', '=', p.code).where('name', '=', 'fixed'));
      await assert.rejects(bad(t.db.kysely, { code: 'a' }), /not a placeholder/);
    });
  });
}
