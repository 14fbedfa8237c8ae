import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { housekeeping } from '../../src/housekeeping.js';
import { OutboxSender, PermanentMailError, queueMail, type Logger, type MailTransport, type OutgoingMail, type SenderOptions } from '../../src/mail/outbox.js';
import { smtpTransport } from '../../src/mail/smtp.js';
import { settle } from '../../src/store/outbox.js';
import { forEachStore, withDb } from '../fixtures/databases.js';
import { startSmtp } from '../fixtures/smtp.js';
import { servicesOf } from '../fixtures/services.js';

const quiet: Logger = { info() {}, warn() {}, error() {} };
const OPTS: SenderOptions = { publicUrl: 'http://roster.test', pollMs: 20, leaseMs: 60_000, retryBaseMs: 10, retryMaxMs: 40, maxAttempts: 4 };

/** A transport that records what it sends and fails as told. */
class FakeTransport implements MailTransport {
  sent: OutgoingMail[] = [];
  constructor(private readonly fail: (mail: OutgoingMail, n: number) => Error | undefined = () => undefined) {}
  private n = 0;
  async send(mail: OutgoingMail): Promise<void> {
    await sleep(2);
    const err = this.fail(mail, ++this.n);
    if (err) throw err;
    this.sent.push(mail);
  }
  close(): void {}
}

async function until(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

forEachStore('mail outbox', (kind) => {
  const t = withDb(kind);
  let companyId: number;
  let n = 0;
  before(async () => {
    companyId = (await servicesOf(t.db).companies.create({ code: 'acme', name: 'Acme <Corp>' })).id;
  });

  const newUser = async (verified = false) => {
    const email = `user-${++n}@example.com`;
    return servicesOf(t.db).users.create({ companyId, email, name: 'Ana', passwordHash: null, emailVerified: verified, createdVia: 'plazbot' });
  };
  const statusOf = async (id: number) => await t.db.kysely.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('sends each message exactly once with two nodes draining one queue', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) ids.push(await queueMail(t.db.kysely, 'verify_email', await newUser()));
    const a = new FakeTransport();
    const b = new FakeTransport();
    const nodes = [new OutboxSender(t.db, a, OPTS, quiet), new OutboxSender(t.db, b, OPTS, quiet)];
    for (const s of nodes) s.start();
    try {
      await until(async () => (await Promise.all(ids.map(statusOf))).every((r) => r.status === 'sent'));
    } finally {
      await Promise.all(nodes.map((s) => s.stop()));
    }
    const recipients = [...a.sent, ...b.sent].map((m) => m.to);
    assert.equal(recipients.length, 30);
    assert.equal(new Set(recipients).size, 30, 'no message was sent twice');
    assert.ok(a.sent.length > 0 && b.sent.length > 0, `both nodes worked (${a.sent.length}/${b.sent.length})`);
    for (const r of await Promise.all(ids.map(statusOf))) {
      assert.equal(r.attempts, 1);
      assert.equal(r.claimed_by, null);
      assert.notEqual(r.sent_at, null);
    }
  });

  it('retries with backoff and succeeds, recording the last error meanwhile', async () => {
    const id = await queueMail(t.db.kysely, 'reset_password', await newUser(true));
    const transport = new FakeTransport((_m, i) => (i <= 2 ? new Error('421 try again later') : undefined));
    const s = new OutboxSender(t.db, transport, OPTS, quiet);
    s.start();
    try {
      await until(async () => (await statusOf(id)).status === 'sent');
    } finally {
      await s.stop();
    }
    const row = await statusOf(id);
    assert.equal(row.attempts, 3);
    assert.equal(row.last_error, null);
    assert.equal(transport.sent.length, 1);
    assert.match(transport.sent[0]!.text, /\n[A-Za-z0-9_-]{43}\n/);
    assert.match(transport.sent[0]!.html, /Acme &lt;Corp&gt;|Hola Ana/);
  });

  it('gives up on a permanent refusal at once, and after the last attempt otherwise', async () => {
    const refused = await queueMail(t.db.kysely, 'reset_password', await newUser(true));
    const s1 = new OutboxSender(t.db, new FakeTransport(() => new PermanentMailError('550 no such mailbox')), OPTS, quiet);
    s1.start();
    await until(async () => (await statusOf(refused)).status === 'failed').finally(() => s1.stop());
    assert.equal((await statusOf(refused)).attempts, 1);
    assert.match((await statusOf(refused)).last_error!, /550/);

    const flaky = await queueMail(t.db.kysely, 'reset_password', await newUser(true));
    const s2 = new OutboxSender(t.db, new FakeTransport(() => new Error('connection reset')), OPTS, quiet);
    s2.start();
    await until(async () => (await statusOf(flaky)).status === 'failed').finally(() => s2.stop());
    assert.equal((await statusOf(flaky)).attempts, OPTS.maxAttempts);
  });

  it('takes over a claim whose lease lapsed, and a stale claim cannot settle it', async () => {
    const id = await queueMail(t.db.kysely, 'reset_password', await newUser(true));
    await t.db.kysely
      .updateTable('outbox')
      .set({ status: 'sending', claimed_by: 'dead-node', lease_until: '2000-01-01T00:00:00.000Z', attempts: 1 })
      .where('id', '=', id)
      .execute();
    const transport = new FakeTransport();
    const s = new OutboxSender(t.db, transport, OPTS, quiet);
    assert.equal(await s.sendOne(), true);
    const row = await statusOf(id);
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 2);
    assert.equal(transport.sent.length, 1);
    // Not due, not claimable: a live lease is respected.
    const held = await queueMail(t.db.kysely, 'reset_password', await newUser(true));
    await t.db.kysely
      .updateTable('outbox')
      .set({ status: 'sending', claimed_by: 'live-node', lease_until: '2999-01-01T00:00:00.000Z' })
      .where('id', '=', held)
      .execute();
    assert.equal(await s.sendOne(), false);
    assert.equal((await statusOf(held)).status, 'sending');
    // The dead node wakes up and tries to settle a message another node has taken since.
    assert.equal(await settle(t.db.kysely, held, 'dead-node', { status: 'sent', now: new Date().toISOString() }), false);
    assert.equal(await settle(t.db.kysely, id, 'dead-node', { status: 'pending', now: new Date().toISOString() }), false);
    assert.equal((await statusOf(id)).status, 'sent');
    await t.db.kysely.deleteFrom('outbox').where('id', '=', held).execute();
  });

  it('queues one verification mail for 20 concurrent requests of one unverified user', async () => {
    const user = await newUser();
    const results = await Promise.all(Array.from({ length: 20 }, () => servicesOf(t.db).plazbot.queueVerificationIfDue(user)));
    assert.equal(results.filter(Boolean).length, 1);
    const rows = await t.db.kysely.selectFrom('outbox').select('status').where('user_id', '=', user.id).where('template', '=', 'verify_email').execute();
    assert.deepEqual(rows, [{ status: 'pending' }]);
    // Once it went out, a later request may queue the next one (and only one).
    await t.db.kysely.updateTable('outbox').set({ status: 'sent' }).where('user_id', '=', user.id).execute();
    assert.deepEqual((await Promise.all(Array.from({ length: 5 }, () => servicesOf(t.db).plazbot.queueVerificationIfDue(user)))).filter(Boolean).length, 1);
  });

  it('cancels a verification for a user who is verified by now, and a message whose user is gone', async () => {
    const user = await newUser();
    const id = await queueMail(t.db.kysely, 'verify_email', user);
    await t.db.kysely.updateTable('users').set({ email_verified_at: new Date().toISOString() }).where('id', '=', user.id).execute();
    const gone = await newUser();
    const goneId = await queueMail(t.db.kysely, 'reset_password', gone);
    await t.db.kysely.deleteFrom('users').where('id', '=', gone.id).execute();
    const s = new OutboxSender(t.db, new FakeTransport(), OPTS, quiet);
    while (await s.sendOne()) {
      /* drain */
    }
    assert.equal((await statusOf(id)).status, 'cancelled');
    assert.equal((await statusOf(goneId)).status, 'cancelled');
    const listed = await servicesOf(t.db).outbox.list({ status: 'cancelled' });
    assert.ok(listed.some((m) => m.id === id && m.template === 'verify_email'));
  });

  it('housekeeping deletes expired sessions, dead tokens and old settled mail, and nothing live', async () => {
    const user = await newUser(true);
    const old = '2000-01-01T00:00:00.000Z';
    const future = '2999-01-01T00:00:00.000Z';
    const recent = new Date().toISOString();
    await t.db.kysely
      .insertInto('sessions')
      .values([
        { token_digest: 'a'.repeat(64), user_id: user.id, created_at: old, expires_at: old },
        { token_digest: 'b'.repeat(64), user_id: user.id, created_at: old, expires_at: future },
      ])
      .execute();
    await t.db.kysely
      .insertInto('email_tokens')
      .values([
        { token_digest: 'c'.repeat(64), purpose: 'verify_email', user_id: user.id, created_at: old, expires_at: old, used_at: null },
        { token_digest: 'd'.repeat(64), purpose: 'reset_password', user_id: user.id, created_at: old, expires_at: future, used_at: old },
        { token_digest: 'e'.repeat(64), purpose: 'reset_password', user_id: user.id, created_at: old, expires_at: future, used_at: null },
        { token_digest: 'f'.repeat(64), purpose: 'verify_email', user_id: user.id, created_at: recent, expires_at: future, used_at: recent },
      ])
      .execute();
    const oldSent = await queueMail(t.db.kysely, 'reset_password', user);
    const oldPending = await queueMail(t.db.kysely, 'reset_password', user);
    await t.db.kysely.updateTable('outbox').set({ status: 'sent', updated_at: old }).where('id', '=', oldSent).execute();
    await t.db.kysely.updateTable('outbox').set({ updated_at: old, next_attempt_at: future }).where('id', '=', oldPending).execute();
    const n = await housekeeping(t.db);
    assert.ok(n.sessions >= 1 && n.emailTokens >= 2 && n.outbox >= 1, JSON.stringify(n));
    const sessions = await t.db.kysely.selectFrom('sessions').select('token_digest').where('user_id', '=', user.id).execute();
    assert.deepEqual(
      sessions.map((r) => r.token_digest),
      ['b'.repeat(64)],
    );
    const tokens = await t.db.kysely.selectFrom('email_tokens').select('token_digest').where('user_id', '=', user.id).orderBy('token_digest').execute();
    assert.deepEqual(
      tokens.map((r) => r.token_digest),
      ['e'.repeat(64), 'f'.repeat(64)],
    );
    const left = await t.db.kysely.selectFrom('outbox').select('id').where('id', 'in', [oldSent, oldPending]).execute();
    assert.deepEqual(
      left.map((r) => r.id),
      [oldPending],
    );
    await t.db.kysely.deleteFrom('outbox').where('id', '=', oldPending).execute();
  });

  it('keeps mail while the SMTP server is down and delivers it once it is up', async () => {
    const probe = await startSmtp();
    const port = probe.port;
    await probe.close();
    const id = await queueMail(t.db.kysely, 'reset_password', await newUser(true));
    const s = new OutboxSender(
      t.db,
      smtpTransport({ url: `smtp://127.0.0.1:${port}`, from: 'no-reply@roster.test', timeoutMs: 2000 }),
      { ...OPTS, retryBaseMs: 50, retryMaxMs: 100, maxAttempts: 1000 },
      quiet,
    );
    s.start();
    try {
      await until(async () => (await statusOf(id)).attempts >= 2);
      const waiting = await statusOf(id);
      assert.equal(waiting.status === 'pending' || waiting.status === 'sending', true);
      assert.match(waiting.last_error ?? '', /ECONNREFUSED|connect/i);
      const smtp = await startSmtp({ port });
      try {
        const mail = await smtp.waitFor(() => true);
        assert.ok(mail.to[0]!.startsWith('user-'));
        await until(async () => (await statusOf(id)).status === 'sent');
        assert.equal(smtp.mails.length, 1);
      } finally {
        await smtp.close();
      }
    } finally {
      await s.stop();
    }
  });

  it('marks a message failed when the SMTP server answers 5xx', async () => {
    const smtp = await startSmtp({ reject: 550 });
    const id = await queueMail(t.db.kysely, 'reset_password', await newUser(true));
    const s = new OutboxSender(t.db, smtpTransport({ url: smtp.url, from: 'no-reply@roster.test' }), OPTS, quiet);
    try {
      while (await s.sendOne()) {
        /* drain */
      }
    } finally {
      await s.stop();
      await smtp.close();
    }
    const row = await statusOf(id);
    assert.equal(row.status, 'failed');
    assert.equal(row.attempts, 1);
  });
});
