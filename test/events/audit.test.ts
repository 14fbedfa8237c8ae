/**
 * The audit read service (what `roster audit` and the admin console read) and retention; the
 * delivery queue's claims (one in flight per endpoint, a dead node's lease taken over).
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { AuditLog } from '../../src/events/audit.js';
import { actingAs, SYSTEM } from '../../src/events/types.js';
import { recordEvent } from '../../src/events/log.js';
import { WebhookService } from '../../src/events/webhooks.js';
import { housekeeping } from '../../src/housekeeping.js';
import { DomainError } from '../../src/identity/errors.js';
import { inTransaction } from '../../src/store/transaction.js';
import * as queue from '../../src/store/webhooks.js';
import { forEachStore, withDb } from '../fixtures/databases.js';
import { servicesOf } from '../fixtures/services.js';

const DAY = 86_400_000;
/** The events these tests record (creating the companies recorded company.created too). */
const USERS = ['user.created', 'user.deleted'] as const;

forEachStore('the audit trail', (kind) => {
  const t = withDb(kind);
  let audit: AuditLog;
  let a: number;
  let b: number;
  const now = Date.now();
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();

  before(async () => {
    const s = servicesOf(t.db);
    audit = s.audit;
    a = (await s.companies.create({ code: 'aud-a', name: 'A' })).id;
    b = (await s.companies.create({ code: 'aud-b', name: 'B' })).id;
    // 30 events over 30 days, alternating companies, actors and types; the oldest first.
    for (let i = 30; i >= 1; i--) {
      const actor = i % 3 === 0 ? ({ kind: 'cli', id: null } as const) : ({ kind: 'api_token', id: `tok${i % 2}` } as const);
      await inTransaction(t.db.kysely, (trx) =>
        recordEvent(
          trx,
          actingAs(actor),
          { type: i % 2 ? 'user.created' : 'user.deleted', companyId: i % 2 ? a : b, target: { kind: 'user', id: i }, data: { n: i } },
          at(i),
        ),
      );
    }
  });

  const ns = (events: Array<{ data: unknown }>) => events.map((e) => (e.data as { n: number }).n);

  it('lists newest first, and pages by keyset to the end', async () => {
    const all = await audit.list({ limit: 1000, types: USERS });
    const mine = all.events.filter((e) => e.companyId === a || e.companyId === b);
    assert.deepEqual(
      ns(mine),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    const pages: number[] = [];
    let before: number | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const page = await audit.list({ companyId: a, types: USERS, limit: 4, ...(before !== undefined && { before }) });
      pages.push(...ns(page.events));
      if (page.next === null) break;
      before = page.next;
    }
    assert.deepEqual(pages, [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29]);
  });

  it('filters by company, type, actor and time range', async () => {
    assert.deepEqual(ns((await audit.list({ companyId: b, types: ['user.deleted'], limit: 3 })).events), [2, 4, 6]);
    assert.deepEqual((await audit.list({ companyId: b, types: ['user.created'] })).events, []);
    assert.deepEqual(ns((await audit.list({ companyId: a, actorKind: 'cli' })).events), [3, 9, 15, 21, 27]);
    assert.deepEqual(ns((await audit.list({ companyId: a, actorKind: 'api_token', actorId: 'tok1' })).events), [1, 5, 7, 11, 13, 17, 19, 23, 25, 29]);
    const range = await audit.list({ companyId: b, since: at(10.5), until: at(4.5) });
    assert.deepEqual(ns(range.events), [6, 8, 10]);
    const e = (await audit.list({ companyId: a, types: USERS, limit: 1 })).events[0]!;
    assert.deepEqual(
      { companyCode: e.companyCode, actor: e.actor, target: e.target, requestId: e.requestId },
      { companyCode: 'aud-a', actor: { kind: 'api_token', id: 'tok1' }, target: { kind: 'user', id: '1' }, requestId: null },
    );
  });

  it('refuses a bad limit or time with a typed error', async () => {
    for (const q of [{ limit: 0 }, { limit: 1001 }, { limit: 1.5 }, { since: 'yesterday' }, { until: '2026-13-45' }, { since: '' }]) {
      await assert.rejects(audit.list(q), DomainError, JSON.stringify(q));
    }
  });

  it('housekeeping prunes events past the retention, with their deliveries, and keeps them with 0', async () => {
    await housekeeping(t.db, new Date(now), { auditRetentionDays: 0 });
    assert.equal((await audit.list({ companyId: a, types: USERS, limit: 1000 })).events.length, 15, '0 keeps every event');
    const n = await housekeeping(t.db, new Date(now), { auditRetentionDays: 20 });
    assert.ok(n.events >= 10, JSON.stringify(n));
    assert.deepEqual(
      ns((await audit.list({ companyId: b, types: USERS, limit: 1000 })).events),
      [2, 4, 6, 8, 10, 12, 14, 16, 18, 20],
      'older than 20 days goes; exactly 20 stays',
    );
  });
});

forEachStore('the webhook delivery queue', (kind) => {
  const t = withDb(kind);
  let webhooks: WebhookService;
  let hookId: string;
  let companyId: number;
  const now = () => new Date().toISOString();
  const later = (ms: number) => new Date(Date.now() + ms).toISOString();

  before(async () => {
    const s = servicesOf(t.db);
    companyId = (await s.companies.create({ code: 'queue', name: 'Queue' })).id;
    webhooks = new WebhookService(t.db, s.secrets, s.companies, { allowPrivate: true });
    hookId = (await webhooks.add({ companyCode: 'queue', url: 'http://127.0.0.1:9/', eventTypes: ['user.created'] })).webhook.id;
    for (let i = 1; i <= 3; i++) {
      await inTransaction(t.db.kysely, (trx) => recordEvent(trx, SYSTEM, { type: 'user.created', companyId, target: { kind: 'user', id: i }, data: {} }));
    }
    // Not wanted by the endpoint: no delivery.
    await inTransaction(t.db.kysely, (trx) => recordEvent(trx, SYSTEM, { type: 'user.deleted', companyId, target: { kind: 'user', id: 1 }, data: {} }));
  });

  const claim = (id: number, leaseMs = 60_000) =>
    inTransaction(t.db.kysely, async (trx) => {
      await queue.lockWebhook(trx, hookId);
      return queue.claimDelivery(trx, id, { claimId: `c${id}-${Date.now()}`, now: now(), leaseUntil: later(leaseMs) });
    });

  it('queues a delivery per wanted event, and lets one of an endpoint be in flight at a time, the oldest first', async () => {
    const due = await queue.dueDeliveries(t.db.kysely, now(), 10);
    assert.equal(due.length, 3);
    const [first, second] = due;
    assert.ok(first!.id < second!.id);
    const claimed = await claim(first!.id);
    assert.equal(claimed?.status, 'sending');
    assert.equal(claimed?.attempts, 1);
    // With what it sends, read by the claim itself.
    const event = await t.db.kysely.selectFrom('events').selectAll().where('id', '=', claimed.event_id).executeTakeFirstOrThrow();
    const hook = await t.db.kysely.selectFrom('webhooks').selectAll().where('id', '=', hookId).executeTakeFirstOrThrow();
    assert.deepEqual(
      { url: claimed.url, secret_sealed: claimed.secret_sealed, type: claimed.type, occurred_at: claimed.occurred_at, data: claimed.data },
      { url: 'http://127.0.0.1:9/', secret_sealed: hook.secret_sealed, type: 'user.created', occurred_at: event.occurred_at, data: event.data },
    );
    assert.deepEqual(await queue.dueDeliveries(t.db.kysely, now(), 10), [], 'nothing else of the endpoint is due while one is in flight');
    assert.equal(await claim(second!.id), undefined, 'a claim of another one of the endpoint fails');
    assert.equal(await claim(first!.id), undefined, 'and so does a second claim of the same one');
    assert.ok(await queue.settleDelivery(t.db.kysely, first!.id, claimed.claimed_by!, { status: 'delivered', now: now(), statusCode: 204, error: null }));
    assert.deepEqual(
      (await queue.dueDeliveries(t.db.kysely, now(), 10)).map((d) => d.id),
      [second!.id, due[2]!.id],
    );
  });

  it("takes over a claim whose node died (its lease lapsed); the dead node's settle is refused", async () => {
    const [next] = await queue.dueDeliveries(t.db.kysely, now(), 10);
    const dead = await claim(next!.id, 1);
    await new Promise((r) => setTimeout(r, 20));
    const due = await queue.dueDeliveries(t.db.kysely, now(), 10);
    assert.equal(due[0]!.id, next!.id, 'due again once the lease lapsed');
    const taken = await claim(next!.id);
    assert.equal(taken?.attempts, 2);
    assert.equal(
      await queue.settleDelivery(t.db.kysely, next!.id, dead!.claimed_by!, { status: 'delivered', now: now(), statusCode: 200, error: null }),
      false,
    );
    assert.ok(await queue.settleDelivery(t.db.kysely, next!.id, taken.claimed_by!, { status: 'failed', now: now(), statusCode: 500, error: 'HTTP 500' }));
  });

  it('counts deliveries by status and the oldest waiting; redeliver queues a settled one again', async () => {
    const counts = await webhooks.counts();
    assert.deepEqual(Object.fromEntries(counts.byStatus.map((c) => [c.status, c.n])), { delivered: 1, failed: 1, pending: 1 });
    assert.ok(counts.oldestWaitingAt && Date.parse(counts.oldestWaitingAt) <= Date.now());
    const failed = (await webhooks.deliveries({ companyCode: 'queue', status: 'failed' }))[0]!;
    assert.deepEqual([failed.lastStatusCode, failed.lastError, failed.eventType], [500, 'HTTP 500', 'user.created']);
    const again = await webhooks.redeliver(failed.id);
    assert.deepEqual([again.status, again.attempts, again.lastError], ['pending', 0, 'HTTP 500']);
    await assert.rejects(webhooks.redeliver(0), /no webhook delivery 0/);
    await assert.rejects(webhooks.redeliver(123456789), /no webhook delivery 123456789/);
  });

  it('housekeeping drops deliveries settled more than 30 days ago', async () => {
    const n = await housekeeping(t.db, new Date(Date.now() + 31 * DAY), { auditRetentionDays: 0 });
    assert.equal(n.webhookDeliveries, 1, 'the delivered one; pending ones stay');
    assert.equal((await webhooks.deliveries({ companyCode: 'queue' })).length, 2);
  });
});

forEachStore("claiming an endpoint's next delivery", (kind) => {
  const t = withDb(kind);
  const hooks: Record<'a' | 'b', string> = { a: '', b: '' };
  const now = () => new Date().toISOString();
  const claimNext = (webhookId: string, afterId = 0) =>
    inTransaction(t.db.kysely, async (trx) => {
      await queue.lockWebhook(trx, webhookId);
      return queue.claimNextDelivery(trx, webhookId, afterId, {
        claimId: `n-${Math.random()}`,
        now: now(),
        leaseUntil: new Date(Date.now() + 60_000).toISOString(),
      });
    });
  const deliveriesOf = (webhookId: string) =>
    t.db.kysely.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', webhookId).orderBy('id').execute();
  const delivered = (d: { id: number; claimed_by: string | null } | undefined) =>
    queue.settleDelivery(t.db.kysely, d!.id, d!.claimed_by!, { status: 'delivered', now: now(), statusCode: 204, error: null });

  before(async () => {
    const s = servicesOf(t.db);
    const companyId = (await s.companies.create({ code: 'next', name: 'Next' })).id;
    const webhooks = new WebhookService(t.db, s.secrets, s.companies, { allowPrivate: true });
    hooks.a = (await webhooks.add({ companyCode: 'next', url: 'http://127.0.0.1:9/a', eventTypes: ['user.created'] })).webhook.id;
    hooks.b = (await webhooks.add({ companyCode: 'next', url: 'http://127.0.0.1:9/b', eventTypes: ['user.created'] })).webhook.id;
    for (let i = 1; i <= 4; i++) {
      await inTransaction(t.db.kysely, (trx) => recordEvent(trx, SYSTEM, { type: 'user.created', companyId, target: { kind: 'user', id: i }, data: { i } }));
    }
  });

  it("takes the endpoint's oldest due delivery, none while one is in flight, none waiting for a retry, never another endpoint's", async () => {
    const [a1, a2, a3, a4] = await deliveriesOf(hooks.a);
    const [b1] = await deliveriesOf(hooks.b);
    const first = await claimNext(hooks.a);
    assert.deepEqual([first?.id, first?.url, first?.type, JSON.parse(first!.data)], [a1!.id, 'http://127.0.0.1:9/a', 'user.created', { i: 1 }]);
    assert.equal(await claimNext(hooks.a), undefined, 'one in flight per endpoint');
    assert.ok(await delivered(first));
    // The second waits for its retry: the third goes next.
    await t.db.kysely
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: new Date(Date.now() + 60_000).toISOString() })
      .where('id', '=', a2!.id)
      .execute();
    const third = await claimNext(hooks.a, a1!.id);
    assert.equal(third?.id, a3!.id);
    assert.equal((await claimNext(hooks.b))?.id, b1!.id, "the other endpoint's own, while this one's is in flight");
    assert.ok(await delivered(third));
    const fourth = await claimNext(hooks.a, a3!.id);
    assert.equal(fourth?.id, a4!.id);
    assert.ok(await delivered(fourth));
    assert.equal(await claimNext(hooks.a, a4!.id), undefined, 'only the one waiting for its retry is left');
    // Due again, it is behind the streak: the search takes it, not the next claim of the streak.
    await t.db.kysely.updateTable('webhook_deliveries').set({ next_attempt_at: now() }).where('id', '=', a2!.id).execute();
    assert.equal(await claimNext(hooks.a, a4!.id), undefined);
    assert.ok((await queue.dueDeliveries(t.db.kysely, now(), 10)).some((d) => d.id === a2!.id));
    assert.deepEqual(
      (await t.db.kysely.selectFrom('webhook_deliveries').select(['id', 'status', 'attempts']).where('webhook_id', '=', hooks.a).orderBy('id').execute()).map(
        (d) => [d.id, d.status, d.attempts],
      ),
      [
        [a1!.id, 'delivered', 1],
        [a2!.id, 'pending', 0],
        [a3!.id, 'delivered', 1],
        [a4!.id, 'delivered', 1],
      ],
    );
  });
});
