/** `roster scim-token create|list|revoke`, run as child processes; the Authenticator resolves what they make. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { openDb, type Db } from '../../src/store/db.js';
import { runCli } from '../fixtures/cli.js';
import { createTestDatabase, forEachStore, type TestDatabase } from '../fixtures/databases.js';
import { servicesOf, TEST_SECRET_KEY } from '../fixtures/services.js';

forEachStore('roster scim-token', (kind) => {
  let database: TestDatabase;
  let db: Db;
  const env = () => ({ DATABASE_URL: database.url, ROSTER_SECRET_KEY: TEST_SECRET_KEY });
  const json = async (...args: string[]) => {
    const r = await runCli([...args, '--json'], env());
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.trim());
  };

  before(async () => {
    database = await createTestDatabase(kind);
    await json('company', 'create', '--code', 'acme', '--name', 'Acme');
    db = openDb(database.url);
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  it('creates a token shown once as {id, token}, stored as a digest, that authenticates as the company', async () => {
    const t = await json('scim-token', 'create', '--company', 'acme', '--name', 'Okta');
    assert.deepEqual(Object.keys(t).sort(), ['id', 'token']);
    assert.match(t.token, new RegExp(`^rsc_${t.id}\\.[A-Za-z0-9_-]{43}$`));
    const row = await db.kysely.selectFrom('credentials').selectAll().where('id', '=', t.id).executeTakeFirstOrThrow();
    assert.equal(row.kind, 'scim_token');
    assert.equal(row.name, 'Okta');
    assert.doesNotMatch(JSON.stringify(row), new RegExp(t.token.split('.')[1]));
    const principal = await servicesOf(db).auth.token('scim_token', t.token);
    assert.equal(principal.kind, 'scim_token');
    assert.equal(principal.companyCode, 'acme');
    await assert.rejects(servicesOf(db).auth.token('api_token', t.token), /credentials/i, 'a SCIM token is not a Plazbot token');
  });

  it('lists them without secrets, and revokes one by id or by the whole token', async () => {
    const a = await json('scim-token', 'create', '--company', 'acme');
    const b = await json('scim-token', 'create', '--company', 'acme', '--name', 'Entra');
    const list = await json('scim-token', 'list', '--company', 'acme');
    assert.deepEqual(Object.keys(list), ['scimTokens']);
    const ids = list.scimTokens.map((x: any) => x.id);
    assert.ok(ids.includes(a.id) && ids.includes(b.id));
    assert.doesNotMatch(JSON.stringify(list), /rsc_/);
    assert.deepEqual(await json('scim-token', 'revoke', a.id), { id: a.id, revoked: true });
    assert.deepEqual(await json('scim-token', 'revoke', b.token), { id: b.id, revoked: true });
    await assert.rejects(servicesOf(db).auth.token('scim_token', a.token));
    await assert.rejects(servicesOf(db).auth.token('scim_token', b.token));
    const again = await runCli(['scim-token', 'revoke', a.id], env());
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no live credential/);
  });

  it('explains an unknown company', async () => {
    const r = await runCli(['scim-token', 'create', '--company', 'nope'], env());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no company with code "nope"/);
  });
});
