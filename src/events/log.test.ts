import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTestDb, STORES } from '../../test/fixtures/databases.js';
import { insertCompany } from '../store/companies.js';
import type { Db } from '../store/db.js';
import { inTransaction } from '../store/transaction.js';
import { insertWebhook } from '../store/webhooks.js';
import { recordEvent, recordEventsOf } from './log.js';
import type { Acting, EventType, NewEvent } from './types.js';

const now = '2026-12-02T00:00:00.000Z';

for (const kind of STORES) {
  describe(`recordEventsOf (${kind})`, () => {
    let t: { db: Db; close(): Promise<void> };
    /** Companies: `hooked` has an endpoint for every type and one for user.created; `quiet` has none. */
    let hooked: number;
    let quiet: number;
    before(async () => {
      t = await openTestDb(kind);
      hooked = (await insertCompany(t.db.kysely, { code: 'hooked', name: 'Hooked', requireEmailVerification: false, now }))!.id;
      quiet = (await insertCompany(t.db.kysely, { code: 'quiet', name: 'Quiet', requireEmailVerification: false, now }))!.id;
      for (const [id, types] of [
        ['wh_all', null],
        ['wh_users', JSON.stringify(['user.created'])],
      ] as const) {
        await insertWebhook(t.db.kysely, { id, company_id: hooked, url: 'https://example.com/hook', event_types: types, secret_sealed: 'x', created_at: now });
      }
    });
    after(() => t.close());

    /** An acting per request, which counts the calls that say deliveries were queued. */
    const acting = (requestId: string, queued: string[]): Acting => ({
      actor: { kind: 'widget_client', id: 'client' },
      requestId,
      clientIp: null,
      deliveriesQueued: () => queued.push(requestId),
    });
    const event = (type: EventType, companyId: number | null, target: string): NewEvent => ({
      type,
      companyId,
      target: { kind: 'user', id: target },
      data: { target },
    });

    /** Every event of these requests, in id order, with the endpoints of its deliveries. */
    const written = async (requestIds: string[]) => {
      const rows = await t.db.kysely
        .selectFrom('events')
        .select(['id', 'type', 'request_id', 'target_id', 'occurred_at'])
        .where('request_id', 'in', requestIds)
        .orderBy('id')
        .execute();
      const deliveries = await t.db.kysely
        .selectFrom('webhook_deliveries')
        .select(['event_id', 'webhook_id', 'status', 'next_attempt_at'])
        .where(
          'event_id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.map((r) => ({
        request: r.request_id,
        type: r.type,
        target: r.target_id,
        at: r.occurred_at,
        deliveries: deliveries
          .filter((d) => d.event_id === r.id)
          .map((d) => `${d.webhook_id} ${d.status} ${d.next_attempt_at}`)
          .sort(),
      }));
    };

    it('writes the events in order, each with the deliveries recordEvent gives it, and tells exactly the requests that queued some', async () => {
      const list: Array<[string, NewEvent, string]> = [
        ['g1', event('widget_user.created', hooked, 'a'), '2026-12-02T00:00:01.000Z'],
        ['g2', event('user.created', quiet, 'b'), '2026-12-02T00:00:02.000Z'],
        ['g3', event('user.created', hooked, 'c'), '2026-12-02T00:00:03.000Z'],
        ['g4', event('company.created', null, 'd'), '2026-12-02T00:00:04.000Z'],
        ['g5', event('widget_user.created', quiet, 'e'), '2026-12-02T00:00:05.000Z'],
      ];
      const queued: string[] = [];
      await inTransaction(t.db.kysely, (trx) =>
        recordEventsOf(
          trx,
          list.map(([r, e, at]) => ({ acting: acting(r, queued), event: e, now: at })),
        ),
      );
      const oneByOne: string[] = [];
      await inTransaction(t.db.kysely, async (trx) => {
        for (const [r, e, at] of list) await recordEvent(trx, acting(`one-${r}`, oneByOne), e, at);
      });
      const grouped = await written(list.map(([r]) => r));
      assert.deepEqual(grouped, [
        { request: 'g1', type: 'widget_user.created', target: 'a', at: '2026-12-02T00:00:01.000Z', deliveries: ['wh_all pending 2026-12-02T00:00:01.000Z'] },
        { request: 'g2', type: 'user.created', target: 'b', at: '2026-12-02T00:00:02.000Z', deliveries: [] },
        {
          request: 'g3',
          type: 'user.created',
          target: 'c',
          at: '2026-12-02T00:00:03.000Z',
          deliveries: ['wh_all pending 2026-12-02T00:00:03.000Z', 'wh_users pending 2026-12-02T00:00:03.000Z'],
        },
        { request: 'g4', type: 'company.created', target: 'd', at: '2026-12-02T00:00:04.000Z', deliveries: [] },
        { request: 'g5', type: 'widget_user.created', target: 'e', at: '2026-12-02T00:00:05.000Z', deliveries: [] },
      ]);
      assert.deepEqual(queued, ['g1', 'g3']);
      // The same rows as recordEvent writes one at a time.
      assert.deepEqual(
        (await written(list.map(([r]) => `one-${r}`))).map((e) => ({ ...e, request: e.request!.slice(4) })),
        grouped,
      );
      assert.deepEqual(oneByOne, ['one-g1', 'one-g3']);
    });

    it('writes a long list whole (multi-row statements), each event with its own deliveries', async () => {
      const list = Array.from({ length: 300 }, (_, i) => ({
        r: `long-${i}`,
        e: event(i % 3 === 0 ? 'user.created' : 'user.updated', i % 2 === 0 ? hooked : quiet, `t${i}`),
      }));
      const queued: string[] = [];
      await inTransaction(t.db.kysely, (trx) =>
        recordEventsOf(
          trx,
          list.map(({ r, e }) => ({ acting: acting(r, queued), event: e, now })),
        ),
      );
      const rows = await written(list.map(({ r }) => r));
      assert.deepEqual(
        rows.map((x) => x.request),
        list.map(({ r }) => r),
      );
      for (const [i, row] of rows.entries()) {
        const expected = i % 2 !== 0 ? [] : i % 3 === 0 ? ['wh_all', 'wh_users'] : ['wh_all'];
        assert.deepEqual(
          row.deliveries.map((d) => d.split(' ')[0]),
          expected,
          row.request!,
        );
      }
      assert.equal(queued.length, 150);
    });
  });
}
