/**
 * The CLI's writes record their events with the CLI as actor (no request: it is not HTTP), and
 * `roster audit` reads the trail back, newest first, filtered by company, type, time and count.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { runCli } from '../fixtures/cli.js';
import { createTestDatabase, forEachStore, type TestDatabase } from '../fixtures/databases.js';
import { TEST_SECRET_KEY } from '../fixtures/services.js';

forEachStore('CLI events and roster audit', (kind) => {
  let db: TestDatabase;
  let env: Record<string, string>;
  before(async () => {
    db = await createTestDatabase(kind);
    env = { DATABASE_URL: db.url, ROSTER_SECRET_KEY: TEST_SECRET_KEY, WEBHOOK_ALLOW_PRIVATE: 'true' };
  });
  after(() => db.drop());

  async function json(...args: string[]): Promise<any> {
    const r = await runCli([...args, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  }
  const audit = async (...args: string[]) => (await json('audit', ...args)).events as any[];

  let startedAt: string;
  let clientSecret: string;
  let clientId: string;
  let token: string;
  let webhookSecret: string;

  it('records company, credential and webhook events with the CLI as actor', async () => {
    startedAt = new Date().toISOString();
    const company = await json('company', 'create', '--code', 'clia', '--name', 'CLI A');
    await json('company', 'update', '--code', 'clia', '--name', 'CLI A Renamed', '--password-min-length', '12');
    const client = await json('client', 'create', '--company', 'clia');
    clientId = client.clientId;
    clientSecret = client.clientSecret;
    const t = await json('token', 'create', '--company', 'clia', '--name', 'ci');
    token = t.token;
    await json('token', 'revoke', t.id);
    const w = await json('webhook', 'add', '--company', 'clia', '--url', 'http://127.0.0.1:9/hook', '--event', 'user.created');
    webhookSecret = w.secret;
    await json('webhook', 'remove', w.id);

    const events = (await audit('--company', 'clia')).reverse();
    assert.deepEqual(
      events.map((e) => [e.type, e.target.kind]),
      [
        ['company.created', 'company'],
        ['company.updated', 'company'],
        ['credential.created', 'credential'],
        ['credential.created', 'credential'],
        ['credential.revoked', 'credential'],
        ['webhook.created', 'webhook'],
        ['webhook.removed', 'webhook'],
      ],
    );
    for (const e of events) {
      assert.deepEqual(e.actor, { kind: 'cli', id: null });
      assert.equal(e.companyId, company.id);
      assert.equal(e.companyCode, 'clia');
      assert.equal(e.requestId, null);
      assert.equal(e.clientIp, null);
      const text = JSON.stringify(e.data);
      for (const secret of [clientSecret, token, webhookSecret, token.split('.')[1]!]) assert.ok(!text.includes(secret), `no secret in ${e.type}`);
      assert.doesNotMatch(text, /digest|sealed|whsec_/);
    }
    assert.deepEqual(events[1]!.data, {
      id: company.id,
      code: 'clia',
      name: 'CLI A Renamed',
      requireEmailVerification: false,
      passwordPolicy: events[1]!.data.passwordPolicy,
    });
    assert.equal(events[1]!.data.passwordPolicy.minLength, 12);
    assert.deepEqual([events[2]!.target.id, events[2]!.data.kind, events[2]!.data.botName], [clientId, 'widget_client', 'Widget Bot']);
    assert.deepEqual([events[4]!.data.kind, typeof events[4]!.data.revokedAt], ['api_token', 'string']);
    assert.deepEqual(events[5]!.data.eventTypes, ['user.created']);
    assert.equal(events[5]!.data.url, 'http://127.0.0.1:9/hook');
  });

  it('company update records one company.updated for the whole command (origins included), none when nothing changes', async () => {
    const count = async () => (await audit('--company', 'clia', '--limit', '1000')).length;
    const before = await count();
    const both = await json('company', 'update', '--code', 'clia', '--name', 'CLI A Origins', '--cors-origin', 'https://a.example.com');
    assert.deepEqual(both.corsOrigins, ['https://a.example.com']);
    let [last] = await audit('--company', 'clia', '--limit', '1');
    assert.equal(await count(), before + 1);
    assert.equal(last.type, 'company.updated');
    assert.deepEqual([last.data.name, last.data.corsOrigins], ['CLI A Origins', ['https://a.example.com']]);

    await json('company', 'update', '--code', 'clia', '--cors-origin', 'https://b.example.com', '--remove-cors-origin', 'https://a.example.com');
    [last] = await audit('--company', 'clia', '--limit', '1');
    assert.equal(await count(), before + 2);
    assert.deepEqual([last.data.name, last.data.corsOrigins], ['CLI A Origins', ['https://b.example.com']]);

    // The same name, an origin it already has, one it never had: nothing changes, nothing is recorded.
    const same = await json(
      'company',
      'update',
      '--code',
      'clia',
      '--name',
      'CLI A Origins',
      '--cors-origin',
      'https://b.example.com',
      '--remove-cors-origin',
      'https://never.example.com',
    );
    assert.deepEqual([same.name, same.corsOrigins], ['CLI A Origins', ['https://b.example.com']]);
    await json('company', 'update', '--code', 'clia', '--default-password-policy');
    assert.equal(await count(), before + 3, 'the policy back to the default is one change');
    await json('company', 'update', '--code', 'clia', '--default-password-policy');
    assert.equal(await count(), before + 3, 'already the default: no event');
    await json('company', 'update', '--code', 'clia', '--remove-cors-origin', 'https://b.example.com');
    assert.equal(await count(), before + 4);
  });

  it('records nothing for a refused write', async () => {
    const before = await audit('--limit', '1000');
    for (const args of [
      ['company', 'create', '--code', 'clia', '--name', 'Again'],
      ['company', 'update', '--code', 'nosuch', '--name', 'X'],
      ['token', 'revoke', '0123456789abcdef'],
      ['webhook', 'add', '--company', 'clia', '--url', 'ftp://example.com/'],
      ['webhook', 'add', '--company', 'clia', '--url', 'http://127.0.0.1:9/', '--event', 'no.such_type'],
      ['webhook', 'remove', 'fedcba9876543210'],
    ]) {
      const r = await runCli(args, env);
      assert.equal(r.code, 1, `${args.join(' ')} should fail`);
      assert.match(r.stderr, /^roster: /);
    }
    assert.equal((await audit('--limit', '1000')).length, before.length);
  });

  it('refuses a private webhook target unless WEBHOOK_ALLOW_PRIVATE is set', async () => {
    const r = await runCli(['webhook', 'add', '--company', 'clia', '--url', 'http://127.0.0.1:9/hook'], { ...env, WEBHOOK_ALLOW_PRIVATE: 'false' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /webhook URL refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback, link-local, private or reserved address/);
  });

  it('audit filters by company, type, time and count, newest first', async () => {
    await json('company', 'create', '--code', 'clib', '--name', 'CLI B');
    const all = await audit();
    assert.ok(all.length >= 8);
    assert.deepEqual(
      all.map((e) => e.id),
      [...all.map((e) => e.id)].sort((a, b) => b - a),
      'newest first',
    );
    assert.deepEqual(
      (await audit('--company', 'clib')).map((e) => e.type),
      ['company.created'],
    );
    const types = await audit('--type', 'credential.created', '--type', 'credential.revoked');
    assert.deepEqual(
      types.map((e) => e.type),
      ['credential.revoked', 'credential.created', 'credential.created'],
    );
    assert.deepEqual(
      (await audit('--limit', '2')).map((e) => e.id),
      all.slice(0, 2).map((e) => e.id),
    );
    assert.equal((await audit('--since', startedAt)).length, all.length);
    assert.deepEqual(await audit('--since', '2999-01-01'), []);
    const human = await runCli(['audit', '--company', 'clib'], env);
    assert.match(human.stdout, /^\d{4}-\d{2}-\d{2}T[\d:.]+Z\tcompany\.created\tclib\tcompany:clib\tcli\t-\t-\n$/);
  });

  it('refuses bad filters with a message', async () => {
    for (const [args, message] of [
      [['audit', '--type', 'user.exploded'], /must be one of widget_user\.created/],
      [['audit', '--since', 'yesterday'], /--since must be an ISO 8601 time/],
      [['audit', '--limit', '0'], /must be 1-1000/],
      [['audit', '--company', 'nosuch'], /no company with code "nosuch"/],
    ] as const) {
      const r = await runCli([...args], env);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, message);
    }
  });
});
