/** `roster operator create|list|remove`, run as child processes, and the operator login they enable. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { openDb, type Db } from '../../src/store/db.js';
import { runCli } from '../fixtures/cli.js';
import { createTestDatabase, forEachStore, type TestDatabase } from '../fixtures/databases.js';
import { formerRosterHash, ROSTER_HASH } from '../fixtures/passwords.js';
import { servicesOf, TEST_SECRET_KEY } from '../fixtures/services.js';

forEachStore('roster operator', (kind) => {
  let database: TestDatabase;
  let db: Db;
  const env = () => ({ DATABASE_URL: database.url, ROSTER_SECRET_KEY: TEST_SECRET_KEY });
  const json = async (args: string[], input?: string) => {
    const r = await runCli([...args, '--json'], env(), input);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.trim());
  };

  before(async () => {
    database = await createTestDatabase(kind);
    db = openDb(database.url);
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  it('creates an operator with the password from stdin, stored as argon2id, who can log in', async () => {
    const o = await json(['operator', 'create', '--email', ' Ops@Example.com ', '--password-stdin'], 'correct horse battery\n');
    assert.deepEqual(Object.keys(o).sort(), ['createdAt', 'email', 'id']);
    assert.equal(o.email, 'ops@example.com');
    const row = await db.kysely.selectFrom('operators').selectAll().where('id', '=', o.id).executeTakeFirstOrThrow();
    assert.match(row.password_hash, ROSTER_HASH);
    const s = servicesOf(db);
    const session = await s.operators.login({ email: 'ops@example.com', password: 'correct horse battery', ip: '192.0.2.1' });
    assert.match(session.token, /^ros_/);
    await assert.rejects(s.operators.login({ email: 'ops@example.com', password: 'wrong horse battery', ip: '192.0.2.1' }), /Invalid email or password/);
    const events = await db.kysely.selectFrom('events').selectAll().where('type', '=', 'operator.created').execute();
    assert.equal(events.length, 1);
    assert.equal(events[0]?.actor_kind, 'cli');
    assert.doesNotMatch(events[0]?.data ?? '', /argon2|horse/);
  });

  it("re-hashes an operator's hash at roster's former parameters at its own on a successful login, not on a failed one", async () => {
    const o = await json(['operator', 'create', '--email', 'former@example.com', '--password-stdin'], 'an old long password\n');
    const former = formerRosterHash('an old long password');
    await db.kysely.updateTable('operators').set({ password_hash: former }).where('id', '=', o.id).execute();
    const stored = async () => (await db.kysely.selectFrom('operators').select('password_hash').where('id', '=', o.id).executeTakeFirstOrThrow()).password_hash;
    const s = servicesOf(db);
    await assert.rejects(s.operators.login({ email: 'former@example.com', password: 'not the password', ip: '192.0.2.4' }), /Invalid/);
    assert.equal(await stored(), former);
    await s.operators.login({ email: 'former@example.com', password: 'an old long password', ip: '192.0.2.4' });
    assert.match(await stored(), ROSTER_HASH);
    await s.operators.login({ email: 'former@example.com', password: 'an old long password', ip: '192.0.2.4' });
  });

  it('generates a password shown once when none is given, and refuses a duplicate or a short password', async () => {
    const o = await json(['operator', 'create', '--email', 'gen@example.com']);
    assert.equal(typeof o.password, 'string');
    assert.ok(o.password.length >= 20);
    await servicesOf(db).operators.login({ email: 'gen@example.com', password: o.password, ip: '192.0.2.2' });
    const dup = await runCli(['operator', 'create', '--email', 'gen@example.com'], env());
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const short = await runCli(['operator', 'create', '--email', 'short@example.com', '--password-stdin'], env(), 'tooshort\n');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 12/);
    assert.equal(await db.kysely.selectFrom('operators').select('id').where('email', '=', 'short@example.com').executeTakeFirst(), undefined);
  });

  it('lists operators without hashes and removes one, ending their sessions', async () => {
    await json(['operator', 'create', '--email', 'gone@example.com', '--password-stdin'], 'another long password\n');
    const s = servicesOf(db);
    const session = await s.operators.login({ email: 'gone@example.com', password: 'another long password', ip: '192.0.2.3' });
    const origin = { requestId: 'r', clientIp: '192.0.2.3' };
    assert.ok(await s.operators.authenticate(session.token, origin));
    const list = await json(['operator', 'list']);
    assert.ok(list.operators.some((o: any) => o.email === 'gone@example.com'));
    assert.doesNotMatch(JSON.stringify(list), /argon2/);
    const removed = await json(['operator', 'remove', 'gone@example.com']);
    assert.equal(removed.removed, true);
    assert.equal(await s.operators.authenticate(session.token, origin), undefined);
    const missing = await runCli(['operator', 'remove', 'gone@example.com'], env());
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no operator/);
  });

  it('limits failed logins per email as the Plazbot login does (429 past the limit, even with the right password)', async () => {
    await json(['operator', 'create', '--email', 'limited@example.com', '--password-stdin'], 'a fine long password\n');
    const s = servicesOf(db);
    for (let i = 0; i < 5; i++) {
      await assert.rejects(s.operators.login({ email: 'limited@example.com', password: 'wrong password here', ip: `192.0.2.${10 + i}` }), /Invalid/);
    }
    await assert.rejects(s.operators.login({ email: 'limited@example.com', password: 'a fine long password', ip: '192.0.2.20' }), /Too many failed logins/);
  });
});
