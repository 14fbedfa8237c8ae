import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, STORES, type TestDatabase } from '../../test/fixtures/databases.js';
import { servicesOf } from '../../test/fixtures/services.js';
import { hookedDialect } from '../../test/fixtures/statement-hook.js';
import { openDb, type Db } from '../store/db.js';
import { migrateToLatest } from '../store/migrate.js';
import type { Principal } from './credentials.js';

for (const kind of STORES) {
  describe(`WidgetUserService.getOrCreate, many at once (${kind})`, () => {
    let t: TestDatabase;
    let db: Db;
    let principal: Principal;
    /** How many of the next group inserts of widget users fail (and with what), how many ran, and the reference ids of the last. */
    let failing = 0;
    let failure: () => Error = () => new Error('injected failure');
    let grouped = 0;
    let lastRefs: string[] = [];
    /** Single-user inserts of widget users. */
    let alone = 0;
    before(async () => {
      t = await createTestDatabase(kind);
      db = openDb(t.url, {
        poolSize: 10,
        wrapDialect: (d) =>
          hookedDialect(d, async (text, parameters) => {
            if (!text.startsWith('insert into "widget_users"')) return;
            if (!text.includes('unnest(')) {
              alone++;
              return;
            }
            grouped++;
            lastRefs = parameters[2] as string[];
            if (failing > 0) {
              failing--;
              throw failure();
            }
          }),
      });
      await migrateToLatest(db);
      const services = servicesOf(db);
      await services.companies.create({ code: 'acme', name: 'Acme' });
      const client = await services.credentials.createWidgetClient({ companyCode: 'acme' });
      const company = await db.kysely.selectFrom('companies').select('id').where('code', '=', 'acme').executeTakeFirstOrThrow();
      principal = {
        credentialId: client.clientId,
        kind: 'widget_client',
        companyId: company.id,
        companyCode: 'acme',
        companyName: 'Acme',
        botId: client.botId,
        botName: null,
        acting: { actor: { kind: 'widget_client', id: client.clientId }, requestId: null, clientIp: null },
      };
    });
    after(async () => {
      await db.close();
      await t.drop();
    });

    // One service, as the app has: its creates share one group commit queue.
    const createAll = (ids: string[], widgetUsers = servicesOf(db).widgetUsers) =>
      Promise.all(
        ids.map((id, i) =>
          widgetUsers.getOrCreate({ ...principal, acting: { ...principal.acting, requestId: `req-${id}-${i}` } }, { id, names: `Name ${id}` }),
        ),
      );

    const stored = async (ids: string[]) => {
      const users = await db.kysely.selectFrom('widget_users').select('id').where('reference_id', 'in', ids).execute();
      const rooms = users.length
        ? await db.kysely
            .selectFrom('rooms')
            .select('oid')
            .where(
              'widget_user_id',
              'in',
              users.map((u) => u.id),
            )
            .execute()
        : [];
      const events = await db.kysely.selectFrom('events').select('target_id').where('type', '=', 'widget_user.created').where('target_id', 'in', ids).execute();
      return { users: users.length, rooms: rooms.length, events: events.length };
    };

    it('writes each new user once, with its rooms and one event, when the same ids come twice at once', async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `twice-${i}`);
      const before = grouped;
      const results = await createAll([...ids, ...ids]);
      assert.equal(results.filter((r) => r.created).length, ids.length);
      for (const id of ids) assert.equal(new Set(results.filter((r) => r.user.referenceId === id).map((r) => r.user.id)).size, 1);
      assert.deepEqual(await stored(ids), { users: ids.length, rooms: 2 * ids.length, events: ids.length });
      if (kind === 'postgres') assert.ok(grouped > before, 'the creates went in group commits');
      else assert.equal(grouped, before);
    });

    it('refuses an id, names or legal id that is not well-formed Unicode, and writes nothing', async () => {
      const widgetUsers = servicesOf(db).widgetUsers;
      for (const input of [
        { id: 'lone-\ud800', names: 'A' },
        { id: 'ok-names', names: 'A \udc00' },
        { id: 'ok-legal', names: 'A', legalId: '\ud800' },
      ]) {
        await assert.rejects(widgetUsers.getOrCreate(principal, input), (err: Error & { code?: string }) => err.code === 'VALIDATION_FAILED');
      }
      assert.deepEqual(await stored(['lone-\ud800', 'ok-names', 'ok-legal']), { users: 0, rooms: 0, events: 0 });
    });

    it('inserts a group in the order of its reference ids, whatever order they came in (one lock order for every group)', async () => {
      if (kind !== 'postgres') return;
      const ids = Array.from({ length: 30 }, (_, i) => `order-${String(29 - i).padStart(2, '0')}`);
      await createAll(ids);
      assert.ok(lastRefs.length > 1);
      assert.deepEqual(lastRefs, [...lastRefs].sort());
    });

    it('writes every user of a group commit that failed, each alone', async () => {
      if (kind !== 'postgres') return;
      const ids = Array.from({ length: 30 }, (_, i) => `retried-${i}`);
      failing = 1;
      const before = alone;
      const results = await createAll(ids);
      assert.equal(failing, 0, 'a group commit failed');
      assert.ok(alone - before >= 2, 'its users were written alone');
      assert.ok(results.every((r) => r.created));
      assert.deepEqual(await stored(ids), { users: ids.length, rooms: 2 * ids.length, events: ids.length });
    });

    it('fails every user of a group commit the database could not take, without trying each again', async () => {
      if (kind !== 'postgres') return;
      const ids = Array.from({ length: 30 }, (_, i) => `unavailable-${i}`);
      failing = 1;
      failure = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
      const before = alone;
      const widgetUsers = servicesOf(db).widgetUsers;
      const results = await Promise.allSettled(ids.map((id) => widgetUsers.getOrCreate(principal, { id, names: id })));
      failure = () => new Error('injected failure');
      assert.equal(failing, 0, 'a group commit failed');
      assert.deepEqual([...new Set(results.map((r) => r.status))], ['rejected']);
      assert.equal(alone - before, 0, `${alone - before} users of the failed group were tried again`);
      // Nothing of the failed group was written: the next try creates every one.
      assert.deepEqual(await stored(ids), { users: 0, rooms: 0, events: 0 });
      assert.ok((await createAll(ids)).every((r) => r.created));
    });
  });
}
