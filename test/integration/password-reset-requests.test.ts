/**
 * Password reset requests cost the same before the answer whether or not the email exists: the
 * lookup and the queueing run after it.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { MemoryCounterStore, type CounterStore, type CounterWindow } from '../../src/infra/counters.js';
import { forEachStore, openTestDb, withDb } from '../fixtures/databases.js';
import { servicesOf } from '../fixtures/services.js';

/** Counters that note every operation, with the key's kind (its part before the first ':'). */
class SpyCounters implements CounterStore {
  ops: string[] = [];
  private readonly inner = new MemoryCounterStore();
  get(key: string): Promise<CounterWindow> {
    this.ops.push(`get ${key.split(':')[0]}`);
    return this.inner.get(key);
  }
  increment(key: string, windowMs: number): Promise<CounterWindow> {
    this.ops.push(`increment ${key.split(':')[0]}`);
    return this.inner.increment(key, windowMs);
  }
  decrement(key: string): Promise<void> {
    this.ops.push(`decrement ${key.split(':')[0]}`);
    return this.inner.decrement(key);
  }
  reset(key: string): Promise<void> {
    this.ops.push(`reset ${key.split(':')[0]}`);
    return this.inner.reset(key);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

forEachStore('password reset requests', (kind) => {
  const t = withDb(kind);
  let userId: number;
  before(async () => {
    const company = await servicesOf(t.db).companies.create({ code: 'acme', name: 'Acme' });
    userId = (
      await servicesOf(t.db).users.create({
        companyId: company.id,
        email: 'known@example.com',
        name: 'K',
        passwordHash: null,
        emailVerified: true,
        createdVia: 'plazbot',
      })
    ).id;
  });

  const waiting = () => t.db.kysely.selectFrom('outbox').select('to_address').where('template', '=', 'reset_password').execute();

  it('does the same work before answering for a known and an unknown email, and queues after', async () => {
    const seen: Array<{ ops: string[]; outboxBefore: number; queued: boolean }> = [];
    for (const email of ['known@example.com', 'unknown@example.com', 'known@example.com']) {
      const counters = new SpyCounters();
      const company = email.startsWith('known') && seen.length === 2 ? 'acme' : undefined;
      const { queued } = await servicesOf(t.db, counters).plazbot.requestPasswordReset({ email, company, ip: '203.0.113.9' });
      const ops = [...counters.ops];
      const outboxBefore = (await waiting()).length;
      seen.push({ ops, outboxBefore, queued: await queued });
      assert.deepEqual(counters.ops, ops, 'no counter is touched after the answer');
    }
    assert.deepEqual(seen[0]!.ops, seen[1]!.ops);
    assert.deepEqual(seen[0]!.ops, seen[2]!.ops);
    assert.deepEqual(
      seen.map((s) => s.queued),
      [true, false, true],
    );
    assert.deepEqual(
      (await waiting()).map((r) => r.to_address),
      ['known@example.com', 'known@example.com'],
    );
    assert.ok(userId > 0);
  });

  it('reports a failure of the work after the answer, and never rejects', async () => {
    const broken = await openTestDb(kind);
    await broken.close();
    const errors: unknown[] = [];
    const { queued } = await servicesOf(broken.db, new MemoryCounterStore()).plazbot.requestPasswordReset(
      { email: 'known@example.com', ip: '203.0.113.10' },
      (e) => errors.push(e),
    );
    assert.equal(await queued, false);
    assert.equal(errors.length, 1);
  });
});
