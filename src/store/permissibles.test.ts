import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, STORES, type TestDatabase } from '../../test/fixtures/databases.js';
import { servicesOf } from '../../test/fixtures/services.js';
import { hookedDialect } from '../../test/fixtures/statement-hook.js';
import { openDb, type Db } from './db.js';
import { migrateToLatest } from './migrate.js';
import { findTarget, link } from './permissibles.js';

for (const kind of STORES) {
  describe(`findTarget on ${kind}`, () => {
    let t: TestDatabase;
    /** The connection under test: a hook runs the other connection's delete right before its statements. */
    let db: Db;
    let other: Db;
    let appId: string;
    let companyId: number;
    let onLinkRead: (() => Promise<void>) | undefined;

    before(async () => {
      t = await createTestDatabase(kind);
      other = openDb(t.url);
      await migrateToLatest(other);
      db = openDb(t.url, {
        wrapDialect: (d) =>
          hookedDialect(d, async (sql) => {
            const hook = onLinkRead;
            if (hook && sql.includes('platform_app_permissibles')) {
              onLinkRead = undefined;
              await hook();
            }
          }),
      });
      const services = servicesOf(other);
      companyId = (await services.companies.create({ code: 'acme', name: 'Acme' })).id;
      appId = (await services.credentials.createToken('platform_app', { companyCode: 'acme', name: 'app' })).id;
    });
    after(async () => {
      await db.close();
      await other.close();
      await t.drop();
    });

    const newAccount = async (linked: boolean) => {
      const now = new Date().toISOString();
      const { id } = await other.kysely
        .insertInto('accounts')
        .values({
          company_id: companyId,
          name: 'A',
          locale: 'en',
          status: 'active',
          features: '[]',
          limits: '{}',
          custom_attributes: '{}',
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (linked) await link(other.kysely, appId, 'Account', Number(id), now);
      return Number(id);
    };

    it("reads the record's company and the app's link", async () => {
      assert.deepEqual(await findTarget(db.kysely, appId, 'Account', await newAccount(true)), { companyId, permitted: true });
      assert.deepEqual(await findTarget(db.kysely, appId, 'Account', await newAccount(false)), { companyId, permitted: false });
      assert.equal(await findTarget(db.kysely, appId, 'Account', 987_654), undefined);
    });

    it('never sees a record without its link when a delete of both commits while it reads (404, not 401)', async () => {
      const id = await newAccount(true);
      // Chatwoot's delete: the links and the record go in one transaction.
      onLinkRead = () =>
        other.kysely.transaction().execute(async (trx) => {
          await trx.deleteFrom('platform_app_permissibles').where('permissible_type', '=', 'Account').where('permissible_id', '=', id).execute();
          await trx.deleteFrom('accounts').where('id', '=', id).execute();
        });
      assert.equal(await findTarget(db.kysely, appId, 'Account', id), undefined);
      assert.equal(onLinkRead, undefined, 'the delete ran');
    });
  });
}
