import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, STORES, type TestDatabase } from '../../test/fixtures/databases.js';
import { servicesOf } from '../../test/fixtures/services.js';
import { hookedDialect } from '../../test/fixtures/statement-hook.js';
import { openDb, type Db } from './db.js';
import { migrateToLatest } from './migrate.js';
import { insertAgentBot } from './agent-bots.js';
import { findTarget, link } from './permissibles.js';
import type { PermissibleType } from './schema.js';
import { insertUser } from './users.js';
import { insertAccount } from '../../test/import/helpers.js';

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

    const TABLES = { Account: 'accounts', User: 'users', AgentBot: 'agent_bots' } as const;
    let seq = 0;
    /** A record of each type, as the Chatwoot API stores it, linked to the app or not. */
    const newRecord = async (type: PermissibleType, linked: boolean): Promise<number> => {
      const now = new Date().toISOString();
      const n = ++seq;
      let id: number;
      if (type === 'Account') id = await insertAccount(other, companyId, `A${n}`);
      else if (type === 'User') {
        const user = await insertUser(other.kysely, {
          company_id: companyId,
          email: `u${n}@example.com`,
          name: 'U',
          last_name: null,
          display_name: null,
          password_hash: null,
          email_verified_at: null,
          default_start_week: 0,
          is_external_creation: 1,
          custom_attributes: '{}',
          ui_settings: '{}',
          message_signature: null,
          pubsub_token_digest: `pubsub-${n}`,
          created_via: 'chatwoot',
          created_at: now,
          updated_at: now,
        });
        id = Number(user!.id);
      } else {
        const bot = await insertAgentBot(other.kysely, {
          company_id: companyId,
          account_id: null,
          name: `B${n}`,
          description: null,
          outgoing_url: null,
          access_token_id: `bot-${n}`,
          access_token_digest: 'digest',
          access_token_sealed: null,
          avatar_url: null,
          created_at: now,
          updated_at: now,
        });
        id = Number(bot.id);
      }
      if (linked) await link(other.kysely, appId, type, id, now);
      return id;
    };

    for (const type of ['Account', 'User', 'AgentBot'] as const) {
      it(`reads ${type}'s company and the app's link`, async () => {
        assert.deepEqual(await findTarget(db.kysely, appId, type, await newRecord(type, true)), { companyId, permitted: true });
        assert.deepEqual(await findTarget(db.kysely, appId, type, await newRecord(type, false)), { companyId, permitted: false });
        assert.equal(await findTarget(db.kysely, appId, type, 987_654), undefined);
      });

      it(`never sees ${type} without its link when a delete of both commits while it reads (404, not 401)`, async () => {
        const id = await newRecord(type, true);
        // Chatwoot's delete: the links and the record go in one transaction.
        onLinkRead = () =>
          other.kysely.transaction().execute(async (trx) => {
            await trx.deleteFrom('platform_app_permissibles').where('permissible_type', '=', type).where('permissible_id', '=', id).execute();
            await trx.deleteFrom(TABLES[type]).where('id', '=', id).execute();
          });
        assert.equal(await findTarget(db.kysely, appId, type, id), undefined);
        assert.equal(onLinkRead, undefined, 'the delete ran');
      });
    }
  });
}
