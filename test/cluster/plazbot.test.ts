/**
 * The Plazbot API on several nodes (two in-process servers and a `roster serve` process) sharing
 * one PostgreSQL database and one Redis: one identity per email, one failed-login limit, and each
 * queued mail sent once. Skipped without DATABASE_URL_TEST and REDIS_URL_TEST.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fanOut, startCluster, type Cluster } from '../fixtures/cluster.js';
import { REDIS, SKIP_POSTGRES, SKIP_REDIS } from '../fixtures/databases.js';
import { call } from '../fixtures/http.js';
import { startSmtp, type TestSmtp } from '../fixtures/smtp.js';
import { servicesOf } from '../fixtures/services.js';

const PASSWORD = 'Secure-Passphrase-123!';

describe('Plazbot API on three nodes sharing PostgreSQL and Redis', { skip: SKIP_POSTGRES || SKIP_REDIS }, () => {
  let cluster: Cluster;
  let smtp: TestSmtp;
  let token: string;

  before(async () => {
    smtp = await startSmtp();
    cluster = await startCluster({
      inProcess: 2,
      processes: 1,
      env: {
        REDIS_URL: REDIS!,
        REDIS_KEY_PREFIX: `roster-test-${randomBytes(4).toString('hex')}:`,
        SMTP_URL: smtp.url,
        MAIL_FROM: 'no-reply@roster.test',
        OUTBOX_POLL_MS: '50',
        LOGIN_MAX_FAILURES: '3',
      },
    });
    await servicesOf(cluster.db).companies.create({ code: 'plazbot', name: 'Plazbot', requireEmailVerification: true });
    token = (await servicesOf(cluster.db).credentials.createToken('api_token', { companyCode: 'plazbot' })).token;
  });
  after(async () => {
    await cluster?.stop();
    await smtp?.close();
  });

  const create = (url: string, email: string) =>
    call(url, 'POST', '/api/user', {
      headers: { authorization: `Bearer ${token}` },
      json: { name: 'Ana', lastName: 'Ruiz', email, password: PASSWORD, company: 'plazbot' },
    });

  it('creates one user for 30 concurrent creates of one email spread over the nodes', async () => {
    const replies = await fanOut(cluster.nodes, 30, (node) => create(node.url, 'cluster@example.com'));
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, ...Array<number>(29).fill(409)]);
    const rows = await cluster.db.kysely.selectFrom('users').select('id').where('email', '=', 'cluster@example.com').execute();
    assert.equal(rows.length, 1);
  });

  it('sends each verification mail once, though every node runs a sender', async () => {
    const emails = Array.from({ length: 15 }, (_, i) => `mail-${i}@example.com`);
    const replies = await fanOut(cluster.nodes, emails.length, (node, i) => create(node.url, emails[i]!));
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [200]);
    for (const e of [...emails, 'cluster@example.com']) await smtp.waitFor((m) => m.to.includes(e), 15_000);
    await sleep(500);
    const counts = new Map<string, number>();
    for (const m of smtp.mails) for (const to of m.to) counts.set(to, (counts.get(to) ?? 0) + 1);
    for (const e of [...emails, 'cluster@example.com']) assert.equal(counts.get(e), 1, e);
    const rows = await cluster.db.kysely.selectFrom('outbox').select(['status', 'attempts']).execute();
    assert.ok(
      rows.every((r) => r.status === 'sent' && r.attempts === 1),
      JSON.stringify(rows),
    );
  });

  it('holds one failed-login limit across the nodes, the right password included', async () => {
    const replies = await fanOut(cluster.nodes, 12, (node, i) =>
      call(node.url, 'POST', '/api/user/login', { json: { email: 'cluster@example.com', password: `guess-${i}` } }),
    );
    assert.deepEqual(replies.map((r) => r.status).sort(), [401, 401, 401, ...Array<number>(9).fill(429)]);
    for (const node of cluster.nodes) {
      const r = await call(node.url, 'POST', '/api/user/login', { json: { email: 'cluster@example.com', password: PASSWORD } });
      assert.equal(r.status, 429, node.name);
      assert.equal(r.body.errorCode, 'TOO_MANY_LOGIN_ATTEMPTS');
    }
  });
});
