/**
 * The console reads a form's fields as single strings: a repeated field (which the form and query
 * parsers turn into an array) is a 400 page, a body that is not a form (JSON) a 415 page, and
 * nothing is written either way; never a 500. A settings form that is refused writes none of its
 * fields. Then the same requests against a served roster, whose log must hold no error line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { CLI } from '../../src/events/types.js';
import { openDb, type Db } from '../../src/store/db.js';
import { createTestDatabase, forEachStore, type TestDatabase } from '../fixtures/databases.js';
import { call, type Reply } from '../fixtures/http.js';
import { serveChild, type ServedChild } from '../fixtures/serve-child.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf, TEST_SECRET_KEY } from '../fixtures/services.js';
import { ConsoleClient } from './browser-session.js';

const EMAIL = 'forms@example.com';
const PASSWORD = 'violet harbour operator';

/** The console's error page for a refused form: the status, its message in the alert, not the 500 page. */
function assertRefused(r: Reply, status: number, message: RegExp): void {
  assert.equal(r.status, status, r.text.slice(0, 500));
  assert.match(r.headers.get('content-type') ?? '', /text\/html/);
  assert.match(r.text, /role="alert"/);
  assert.match(r.text, message);
  assert.doesNotMatch(r.text, /Something went wrong/);
}

forEachStore('admin console forms', (kind) => {
  const srv = withApp(kind);
  const c = new ConsoleClient(() => srv.call);

  before(async () => {
    const s = servicesOf(srv.db);
    await s.operators.create({ email: EMAIL, password: PASSWORD }, CLI);
    await s.companies.create({ code: 'acme', name: 'Acme' });
  });

  /** What a refused form must leave as it was: companies, origins, credentials, events. */
  const snapshot = async () => ({
    companies: await srv.db.kysely.selectFrom('companies').selectAll().orderBy('id').execute(),
    origins: await srv.db.kysely.selectFrom('company_cors_origins').select(['company_id', 'origin']).orderBy('origin').execute(),
    credentials: await servicesOf(srv.db).credentials.list('api_token', 'acme'),
    events: (await srv.db.kysely.selectFrom('events').select('id').execute()).length,
  });

  it('refuses a login form with a repeated field (400) or a JSON body (415) on the login page, and signs no one in', async () => {
    const anon = new ConsoleClient(() => srv.call);
    await anon.get('/admin/login');
    const repeated = await anon.post('/admin/login', { email: [EMAIL, EMAIL], password: PASSWORD });
    assertRefused(repeated, 400, /The field &quot;email&quot; must be sent once, as text/);
    assert.match(repeated.text, /action="\/admin\/login"/, 'the login page');
    const json = await anon.postJson('/admin/login', { email: { toString: 1 }, password: 'x' });
    assertRefused(json, 415, /The console takes form posts only/);
    assert.match(json.text, /action="\/admin\/login"/);
    const password = await anon.postJson('/admin/login', { email: EMAIL, password: PASSWORD });
    assert.equal(password.status, 415, 'not even with the right password');
    assert.equal(anon.cookies.get('roster_admin'), undefined);
    assert.deepEqual(await srv.db.kysely.selectFrom('operator_sessions').select('operator_id').execute(), []);
    assert.equal((await anon.login(EMAIL, PASSWORD)).status, 303, 'the form itself still logs in');
  });

  it('refuses a repeated field in every form of the companies pages (400), writing nothing', async () => {
    assert.equal((await c.login(EMAIL, PASSWORD)).status, 303);
    const was = await snapshot();
    await c.get('/admin/companies');
    assertRefused(await c.post('/admin/companies', { code: ['a', 'b'], name: 'Twice' }), 400, /&quot;code&quot; must be sent once/);
    assertRefused(await c.post('/admin/companies', { code: 'once', name: ['a', 'b'] }), 400, /&quot;name&quot; must be sent once/);
    assertRefused(await c.post('/admin/companies', { code: 'once', name: 'Once', requireEmailVerification: ['1', '1'] }), 400, /requireEmailVerification/);
    await c.get('/admin/companies/acme');
    for (const field of ['name', 'requireEmailVerification', 'passwordMinLength', 'passwordMaxLength', 'corsOrigins']) {
      const twice = field === 'corsOrigins' ? ['https://a.example.com', 'https://b.example.com'] : ['10', '12'];
      assertRefused(await c.post('/admin/companies/acme', { name: 'Acme', [field]: twice }), 400, new RegExp(`&quot;${field}&quot; must be sent once`));
    }
    assertRefused(await c.post('/admin/companies/acme/credentials', { kind: 'api_token', name: ['a', 'b'] }), 400, /&quot;name&quot; must be sent once/);
    assertRefused(
      await c.post('/admin/companies/acme/credentials', { kind: ['api_token', 'api_token'], name: 'x' }),
      400,
      /&quot;kind&quot; must be sent once/,
    );
    assert.deepEqual(await snapshot(), was);
  });

  it('refuses a JSON body on every form (415), whatever its values, writing nothing', async () => {
    const was = await snapshot();
    await c.get('/admin/companies/acme');
    const bodies: Array<[string, Record<string, unknown>]> = [
      ['/admin/companies', { code: 'json-co', name: 'Json' }],
      ['/admin/companies', { code: ['a', 'b'], name: 'Json' }],
      ['/admin/companies/acme', { name: 'Json name' }],
      ['/admin/companies/acme', { corsOrigins: { a: 1 } }],
      ['/admin/companies/acme', { passwordMinLength: [1] }],
      ['/admin/companies/acme/credentials', { kind: 'api_token', name: ['a', 'b'] }],
    ];
    for (const [path, body] of bodies) assertRefused(await c.postJson(path, body), 415, /The console takes form posts only/);
    assert.deepEqual(await snapshot(), was);
  });

  it('refuses a repeated query parameter on every search and filter (400)', async () => {
    for (const path of [
      '/admin/users?q=a&q=b',
      '/admin/users?company=acme&company=acme',
      '/admin/users?q=a&page=1&page=2',
      '/admin/widget-users?q=a&q=b',
      '/admin/widget-users?company=acme&company=acme',
      '/admin/accounts?company=acme&company=acme',
      '/admin/accounts?page=1&page=2',
      '/admin/outbox?status=failed&status=sent',
      '/admin/audit?type=company.created&type=company.updated',
      '/admin/audit?company=acme&company=acme',
      '/admin/audit?actorId=1&actorId=2',
      '/admin/audit?since=2020-01-01T00:00:00Z&since=2021-01-01T00:00:00Z',
      '/admin/audit?before=5&before=6',
    ]) {
      const name = /\?(?:.*&)?(\w+)=[^&]*&\1=/.exec(path)![1]!;
      assertRefused(await c.get(path), 400, new RegExp(`&quot;${name}&quot; must be sent once`));
    }
    // The pages themselves still answer.
    assert.equal((await c.get('/admin/users?q=a&company=acme&page=1')).status, 200);
    assert.equal((await c.get('/admin/widget-users?q=a')).status, 200);
    assert.equal((await c.get('/admin/audit?company=acme&type=company.created')).status, 200);
  });

  it('writes nothing of a refused settings form: a good name with a bad origin or a bad maximum length', async () => {
    const was = await snapshot();
    await c.get('/admin/companies/acme');
    const badOrigin = await c.post('/admin/companies/acme', { name: 'PartialWriteName', corsOrigins: 'javascript:alert(1)' });
    assertRefused(badOrigin, 400, /&quot;javascript:alert\(1\)&quot; is not an origin/);
    const badMax = await c.post('/admin/companies/acme', { name: 'PartialWriteName', passwordMaxLength: '5000' });
    assertRefused(badMax, 400, /password maximum length must be/);
    const badMin = await c.post('/admin/companies/acme', { name: 'PartialWriteName', requireEmailVerification: '1', passwordMinLength: 'ten' });
    assertRefused(badMin, 400, /password minimum length must be a whole number/);
    // A good origin beside a bad one: neither is written.
    const oneBad = await c.post('/admin/companies/acme', { name: 'PartialWriteName', corsOrigins: 'https://good.example.com\nftp://bad.example.com' });
    assertRefused(oneBad, 400, /is not an origin/);
    assert.deepEqual(await snapshot(), was);
    assert.equal((await servicesOf(srv.db).companies.get('acme')).name, 'Acme');

    // The same form with good values saves every field, and records one event for the save.
    await c.get('/admin/companies/acme');
    const ok = await c.post('/admin/companies/acme', {
      name: 'Whole Write',
      requireEmailVerification: '1',
      passwordMaxLength: '200',
      corsOrigins: 'https://good.example.com',
    });
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /Settings saved/);
    const company = await servicesOf(srv.db).companies.get('acme');
    assert.equal(company.name, 'Whole Write');
    assert.equal(company.requireEmailVerification, true);
    assert.equal(company.passwordPolicy.maxLength, 200);
    assert.deepEqual(await servicesOf(srv.db).corsOrigins.of(company.id), ['https://good.example.com']);
    const events = await srv.db.kysely
      .selectFrom('events')
      .selectAll()
      .where('type', '=', 'company.updated')
      .where('target_id', '=', 'acme')
      .orderBy('id')
      .execute();
    assert.equal(events.length, 1, 'one event for one save (it was one for the settings and one for the origins)');
    assert.equal(events[0]?.actor_kind, 'operator');
    assert.equal(JSON.parse(events[0].data).name, 'Whole Write');
    assert.equal(JSON.parse(events[0].data).requireEmailVerification, true);
    assert.deepEqual(JSON.parse(events[0].data).corsOrigins, ['https://good.example.com']);

    // Saving it again unchanged writes nothing and records nothing.
    await c.get('/admin/companies/acme');
    const same = await c.post('/admin/companies/acme', {
      name: 'Whole Write',
      requireEmailVerification: '1',
      passwordMaxLength: '200',
      corsOrigins: 'https://good.example.com',
    });
    assert.equal(same.status, 200);
    assert.equal((await srv.db.kysely.selectFrom('events').select('id').where('type', '=', 'company.updated').execute()).length, 1);
    // A form without the origins field leaves them as they are (an emptied textarea is still sent, and clears them).
    assert.equal((await c.post('/admin/companies/acme', { name: 'Whole Write', requireEmailVerification: '1' })).status, 200);
    assert.deepEqual(await servicesOf(srv.db).corsOrigins.of(company.id), ['https://good.example.com']);
    assert.equal((await c.post('/admin/companies/acme', { name: 'Whole Write', requireEmailVerification: '1', corsOrigins: '' })).status, 200);
    assert.deepEqual(await servicesOf(srv.db).corsOrigins.of(company.id), []);
    // A save of the origins alone still records their change, with the origins afterwards.
    const cleared = await srv.db.kysely.selectFrom('events').selectAll().where('type', '=', 'company.updated').orderBy('id', 'desc').executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(cleared.data).corsOrigins, []);
    assert.equal(JSON.parse(cleared.data).name, 'Whole Write');
    // And a save of a company field alone records it without them.
    assert.equal((await c.post('/admin/companies/acme', { name: 'Renamed Alone', requireEmailVerification: '1', corsOrigins: '' })).status, 200);
    const renamed = await srv.db.kysely.selectFrom('events').selectAll().where('type', '=', 'company.updated').orderBy('id', 'desc').executeTakeFirstOrThrow();
    assert.equal(JSON.parse(renamed.data).name, 'Renamed Alone');
    assert.equal(JSON.parse(renamed.data).corsOrigins, undefined);
    assert.equal((await srv.db.kysely.selectFrom('events').select('id').where('type', '=', 'company.updated').execute()).length, 3);
  });

  it('of two concurrent settings saves, the later one sets the origins exactly (it compares them with what the first wrote)', async () => {
    const s = servicesOf(srv.db);
    const { id } = await s.companies.get('acme');
    await s.corsOrigins.update('acme', { remove: await s.corsOrigins.of(id) });
    await Promise.all([
      s.companySettings.save('acme', { corsOrigins: ['https://one.example.com'] }, CLI),
      s.companySettings.save('acme', { corsOrigins: ['https://two.example.com'] }, CLI),
    ]);
    const origins = await s.corsOrigins.of(id);
    assert.equal(origins.length, 1, `one form's origins, not both: ${origins.join(' ')}`);
  });

  it('of a rename and an origins-only save made at once, the later event carries the company as renamed', async () => {
    const s = servicesOf(srv.db);
    const { id, name } = await s.companies.get('acme');
    const renamed = `${name} renamed`;
    await Promise.all([
      s.companySettings.save('acme', { name: renamed }, CLI),
      s.companySettings.save('acme', { corsOrigins: ['https://raced.example.com'] }, CLI),
    ]);
    assert.equal((await s.companies.get('acme')).name, renamed);
    const last = await srv.db.kysely
      .selectFrom('events')
      .selectAll()
      .where('type', '=', 'company.updated')
      .where('company_id', '=', id)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(last.data).name, renamed, 'a webhook reading the last event sees the name that was saved');
  });
});

/** The audit's requests against `roster serve`: 4xx pages, and no error line in its log. */
forEachStore('admin console forms, served', (kind) => {
  let dir: string;
  let database: TestDatabase;
  let served: ServedChild;
  let db: Db;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-console-forms-'));
    database = await createTestDatabase(kind);
    served = await serveChild(dir, { DATABASE_URL: database.url, ROSTER_SECRET_KEY: TEST_SECRET_KEY });
    db = openDb(database.url);
    const s = servicesOf(db);
    await s.operators.create({ email: EMAIL, password: PASSWORD }, CLI);
    await s.companies.create({ code: 'acme', name: 'Acme' });
  });
  after(async () => {
    await served?.stop();
    await db?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers each with a 4xx page and logs no error', async () => {
    const c = new ConsoleClient(() => (method, path, opts) => call(served.url, method, path, { ...opts, redirect: 'manual' }));
    await c.get('/admin/login');
    const statuses: number[] = [];
    statuses.push((await c.postJson('/admin/login', { email: { toString: 1 }, password: 'x' })).status);
    assert.equal((await c.login(EMAIL, PASSWORD)).status, 303);
    await c.get('/admin/companies/acme');
    statuses.push((await c.post('/admin/companies', { code: ['a', 'b'], name: 'x' })).status);
    statuses.push((await c.post('/admin/companies/acme', { name: ['a', 'b'] })).status);
    statuses.push((await c.postJson('/admin/companies/acme', { corsOrigins: { a: 1 } })).status);
    statuses.push((await c.postJson('/admin/companies/acme', { passwordMinLength: [1] })).status);
    statuses.push((await c.post('/admin/companies/acme/credentials', { kind: 'api_token', name: ['a', 'b'] })).status);
    statuses.push((await c.get('/admin/users?q=a&q=b')).status);
    statuses.push((await c.get('/admin/widget-users?q=a&q=b')).status);
    statuses.push((await c.post('/admin/companies/acme', { name: 'PartialWriteName', corsOrigins: 'javascript:alert(1)' })).status);
    assert.deepEqual(statuses, [415, 400, 400, 415, 415, 400, 400, 400, 400]);
    assert.equal((await servicesOf(db).companies.get('acme')).name, 'Acme');
    // One more request, whose access-log line (written after its answer) says the log is read to its end.
    assert.equal((await c.get('/admin?log-read')).status, 200);
    for (let i = 0; i < 250 && !served.logs().some((l) => l.msg === 'request' && l.url === '/admin?log-read'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(
      served.logs().some((l) => l.msg === 'request' && l.url === '/admin?log-read'),
      'the log was read',
    );
    const errors = served.logs().filter((l) => (typeof l.level === 'number' && l.level >= 50) || l.msg === 'console error');
    assert.deepEqual(errors, []);
  });
});
