/** ETags (RFC 7644 §3.14): meta.version, the ETag header, If-Match (412 on a mismatch) and If-None-Match (304). */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { GROUP_SCHEMA, oktaUser, patchOp, scimClient, scimTenant, uniqueEmail, type Scim } from './helpers.js';

forEachStore('SCIM ETags', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
  let scim: Scim;

  before(async () => {
    scim = scimClient(srv, (await scimTenant(srv, 'acme')).token);
  });

  it('a write with the current version goes through; with a stale one it is 412 and changes nothing', async () => {
    const created = await scim('POST', '/Users', oktaUser(uniqueEmail()));
    const id = created.body.id;
    const v1 = created.headers.get('etag')!;
    assert.equal(v1, created.body.meta.version);

    const ok = await scim('PATCH', `/Users/${id}`, patchOp({ op: 'replace', path: 'displayName', value: 'One' }), { 'if-match': v1 });
    assert.equal(ok.status, 200, ok.text);
    const v2 = ok.headers.get('etag')!;
    assert.notEqual(v2, v1, 'the version moves with the resource');

    for (const [method, body] of [
      ['PATCH', patchOp({ op: 'replace', path: 'displayName', value: 'Two' })],
      ['PUT', oktaUser(created.body.userName, { displayName: 'Two' })],
      ['DELETE', undefined],
    ] as const) {
      const stale = await scim(method, `/Users/${id}`, body, { 'if-match': v1 });
      assert.equal(stale.status, 412, `${method}: ${stale.text}`);
      assert.equal(stale.body.status, '412');
    }
    assert.equal((await scim('GET', `/Users/${id}`)).body.displayName, 'One');

    // A list of tags, one of them current, and "*" match; the weak prefix is optional.
    assert.equal(
      (await scim('PATCH', `/Users/${id}`, patchOp({ op: 'replace', path: 'displayName', value: 'Three' }), { 'if-match': `"nope", ${v2.slice(2)}` })).status,
      200,
    );
    assert.equal((await scim('DELETE', `/Users/${id}`, undefined, { 'if-match': '*' })).status, 204);
  });

  it('a change through another API changes the version too', async () => {
    const created = await scim('POST', '/Users', oktaUser(uniqueEmail()));
    await srv.db.kysely
      .updateTable('users')
      .set({ display_name: 'Changed elsewhere', updated_at: new Date().toISOString() })
      .where('id', '=', Number(created.body.id))
      .execute();
    const r = await scim('PATCH', `/Users/${created.body.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'x' }), {
      'if-match': created.body.meta.version,
    });
    assert.equal(r.status, 412);
  });

  it('GET with If-None-Match of the current version is 304 without a body', async () => {
    const created = await scim('POST', '/Users', oktaUser(uniqueEmail()));
    const r = await scim('GET', `/Users/${created.body.id}`, undefined, { 'if-none-match': created.body.meta.version });
    assert.equal(r.status, 304);
    assert.equal(r.text, '');
    const changed = await scim('GET', `/Users/${created.body.id}`, undefined, { 'if-none-match': 'W/"0000000000000000"' });
    assert.equal(changed.status, 200);
  });

  it("a Group's version moves when a member joins, and If-Match guards membership changes", async () => {
    const u = (await scim('POST', '/Users', oktaUser(uniqueEmail()))).body.id;
    const g = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Versioned' });
    const v1 = g.body.meta.version;
    const add = await scim('PATCH', `/Groups/${g.body.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: u }] }), { 'if-match': v1 });
    assert.equal(add.status, 200, add.text);
    assert.notEqual(add.body.meta.version, v1);
    const stale = await scim('PATCH', `/Groups/${g.body.id}`, patchOp({ op: 'remove', path: 'members' }), { 'if-match': v1 });
    assert.equal(stale.status, 412);
    assert.equal((await scim('GET', `/Groups/${g.body.id}`)).body.members.length, 1);
  });
});
