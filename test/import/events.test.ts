/** Imported writes record their events as any write does: in order, with webhook deliveries for the endpoints that want them. */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachStore, withDb } from '../fixtures/databases.js';
import { servicesOf } from '../fixtures/services.js';
import { csv, insertAccount, tempFiles } from './helpers.js';

forEachStore('roster import events', (kind) => {
  const t = withDb(kind);
  const files = tempFiles();
  let companyId: number;

  before(async () => {
    companyId = (await servicesOf(t.db).companies.create({ code: 'hooked', name: 'Hooked' })).id;
    await insertAccount(t.db, companyId, 'Sales');
    const now = new Date().toISOString();
    const other = (await servicesOf(t.db).companies.create({ code: 'other', name: 'Other' })).id;
    const hook = (id: string, company: number, types: string[] | null) =>
      t.db.kysely
        .insertInto('webhooks')
        .values({
          id,
          company_id: company,
          url: `https://hooks.example/${id}`,
          event_types: types && JSON.stringify(types),
          secret_sealed: 'sealed',
          created_at: now,
        })
        .execute();
    // The user events go in multi-row statements, the membership events one by one between them.
    await hook('memberships', companyId, ['account_user.created']);
    await hook('other-company', other, null);
  });

  it('records one event per write in row order, each delivered to the endpoints that want it', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({ email: `e${i}@hooked.test`, accounts: i % 2 ? 'Sales' : '' }));
    const r = await servicesOf(t.db).imports.users({ companyCode: 'hooked', source: files.write('e.csv', csv(['email', 'accounts'], rows)), batchSize: 4 });
    assert.equal(r.created, 7);
    // The import's own events (the set-up's company.created events are not the import's).
    const events = await t.db.kysely
      .selectFrom('events')
      .select(['id', 'type', 'target_id', 'actor_kind', 'actor_id'])
      .where('actor_kind', '=', 'import')
      .orderBy('id')
      .execute();
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'user.created',
        'user.created',
        'user.created',
        'user.created',
        'account_user.created',
        'account_user.created',
        'user.created',
        'user.created',
        'user.created',
        'account_user.created',
      ],
    );
    const users = events.filter((e) => e.type === 'user.created').map((e) => Number(e.target_id));
    assert.deepEqual(
      users,
      [...users].sort((a, b) => a - b),
      'users in file order',
    );
    assert.ok(events.every((e) => e.actor_kind === 'import' && e.actor_id === r.runId));
    const deliveries = await t.db.kysely.selectFrom('webhook_deliveries').select(['webhook_id', 'event_id']).execute();
    const to = (hook: string) =>
      deliveries
        .filter((d) => d.webhook_id === hook)
        .map((d) => d.event_id)
        .sort((a, b) => a - b);
    assert.deepEqual(
      to('memberships'),
      events.filter((e) => e.type === 'account_user.created').map((e) => e.id),
    );
    assert.deepEqual(to('other-company'), []);
  });
});
