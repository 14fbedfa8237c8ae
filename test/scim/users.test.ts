/** /scim/v2/Users as Okta's and Microsoft Entra ID's provisioning validators drive it, on each store. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';
import {
  ENTERPRISE,
  ERROR_SCHEMA,
  GOOD_PASSWORD,
  LIST_RESPONSE,
  oktaUser,
  patchOp,
  scimClient,
  scimTenant,
  SCIM_TYPE,
  uniqueEmail,
  USER_SCHEMA,
  type Scim,
  type ScimTenant,
} from './helpers.js';

forEachStore('SCIM Users', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0', PUBLIC_URL: 'https://roster.example.test' });
  let acme: ScimTenant;
  let scim: Scim;
  let other: Scim;

  before(async () => {
    acme = await scimTenant(srv, 'acme');
    scim = scimClient(srv, acme.token);
    other = scimClient(srv, (await scimTenant(srv, 'globex')).token);
  });

  const create = async (email = uniqueEmail(), extra: Record<string, unknown> = {}) => {
    const r = await scim('POST', '/Users', oktaUser(email, extra));
    assert.equal(r.status, 201, r.text);
    return r.body;
  };

  describe("Okta's validator", () => {
    let id: string;
    let email: string;

    it('creates a user: 201, the resource, its Location and ETag', async () => {
      email = uniqueEmail('Okta.Validator');
      const r = await scim('POST', '/Users', oktaUser(email));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.headers.get('content-type'), SCIM_TYPE);
      const u = r.body;
      id = u.id;
      assert.match(u.id, /^\d+$/);
      assert.deepEqual(u.schemas, [USER_SCHEMA]);
      assert.equal(u.userName, email);
      assert.deepEqual(u.name, { givenName: 'Barbara', familyName: 'Jensen' });
      assert.deepEqual(u.emails, [{ value: email.toLowerCase(), type: 'work', primary: true }]);
      assert.equal(u.active, true);
      assert.equal(u.displayName, 'Barbara Jensen');
      assert.equal(u.password, undefined, 'the password is never returned');
      assert.equal(u.locale, undefined, 'attributes roster does not keep are not stored');
      assert.equal(u.meta.resourceType, 'User');
      assert.equal(u.meta.location, `https://roster.example.test/scim/v2/Users/${u.id}`);
      assert.equal(r.headers.get('location'), u.meta.location);
      assert.equal(r.headers.get('etag'), u.meta.version);
      assert.match(u.meta.version, /^W\/"[0-9a-f]{16}"$/);
      assert.equal(u.meta.created, u.meta.lastModified);
    });

    it('finds it by userName eq in another case', async () => {
      const r = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email.toUpperCase()}"`)}&startIndex=1&count=100`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.schemas, [LIST_RESPONSE]);
      assert.equal(r.body.totalResults, 1);
      assert.equal(r.body.itemsPerPage, 1);
      assert.equal(r.body.startIndex, 1);
      assert.equal(r.body.Resources[0].id, id);
    });

    it('answers an empty list for a userName nobody has', async () => {
      const r = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.totalResults, 0);
      assert.deepEqual(r.body.Resources, []);
    });

    it('gets it by id', async () => {
      const r = await scim('GET', `/Users/${id}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.userName, email);
    });

    it('replaces it with PUT', async () => {
      const r = await scim('PUT', `/Users/${id}`, oktaUser(email, { name: { givenName: 'Babs', familyName: 'Jensen-Smith' }, displayName: 'Babs' }));
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.name, { givenName: 'Babs', familyName: 'Jensen-Smith' });
      assert.equal(r.body.displayName, 'Babs');
      assert.equal((await scim('GET', `/Users/${id}`)).body.displayName, 'Babs');
    });

    it('deactivates it with PATCH {op: replace, value: {active: false}}, and it is still listed', async () => {
      const r = await scim('PATCH', `/Users/${id}`, patchOp({ op: 'replace', value: { active: false } }));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.active, false);
      const list = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`);
      assert.equal(list.body.Resources[0].active, false);
    });

    it('reactivates it', async () => {
      const r = await scim('PATCH', `/Users/${id}`, patchOp({ op: 'replace', value: { active: true } }));
      assert.equal(r.status, 200);
      assert.equal(r.body.active, true);
    });

    it('answers 404 with a SCIM error for an unknown id', async () => {
      for (const unknown of ['999999999', 'not-a-number', '0', '010']) {
        const r = await scim('GET', `/Users/${unknown}`);
        assert.equal(r.status, 404, unknown);
        assert.deepEqual(r.body.schemas, [ERROR_SCHEMA]);
        assert.equal(r.body.status, '404');
        assert.equal(r.headers.get('content-type'), SCIM_TYPE);
      }
    });

    it('answers 409 uniqueness for a duplicate userName (another case) and for a taken email', async () => {
      const dup = await scim('POST', '/Users', oktaUser(email.toUpperCase()));
      assert.equal(dup.status, 409, dup.text);
      assert.equal(dup.body.scimType, 'uniqueness');
      assert.equal(dup.body.status, '409');
      const sameEmail = await scim('POST', '/Users', oktaUser(uniqueEmail(), { emails: [{ value: email, primary: true }] }));
      assert.equal(sameEmail.status, 409, sameEmail.text);
      assert.equal(sameEmail.body.scimType, 'uniqueness');
      // The same address in another Unicode form ("e" + U+0301 against U+00E9) is taken too.
      const composed = uniqueEmail('andr\u00e9');
      await create(composed);
      const decomposed = await scim('POST', '/Users', oktaUser(uniqueEmail(), { emails: [{ value: composed.normalize('NFD'), primary: true }] }));
      assert.equal(decomposed.status, 409, decomposed.text);
      assert.equal(decomposed.body.scimType, 'uniqueness');
    });

    it("answers 409 for another company's email too (emails are unique installation-wide), and shows nothing of it", async () => {
      const r = await other('POST', '/Users', oktaUser(uniqueEmail('x'), { emails: [{ value: email, primary: true }] }));
      assert.equal(r.status, 409);
      assert.equal(r.body.scimType, 'uniqueness');
      assert.equal((await other('GET', `/Users/${id}`)).status, 404, "another company's token does not see the user");
      const list = await other('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`);
      assert.equal(list.body.totalResults, 0);
    });

    it('deletes it: 204, then 404', async () => {
      const r = await scim('DELETE', `/Users/${id}`);
      assert.equal(r.status, 204);
      assert.equal(r.text, '');
      assert.equal((await scim('GET', `/Users/${id}`)).status, 404);
      assert.equal((await scim('DELETE', `/Users/${id}`)).status, 404);
    });
  });

  describe("Microsoft Entra ID's validator", () => {
    let id: string;
    const entraUser = (upn: string) => ({
      schemas: [USER_SCHEMA, ENTERPRISE],
      externalId: `ext-${upn}`,
      userName: upn,
      active: true,
      displayName: 'Adele Vance',
      title: 'Retail Manager',
      emails: [{ primary: true, type: 'work', value: upn }],
      preferredLanguage: 'en-US',
      name: { formatted: 'Adele Vance', familyName: 'Vance', givenName: 'Adele' },
      addresses: [{ type: 'work', streetAddress: '1 Main St', primary: true }],
      phoneNumbers: [{ type: 'work', value: '555-0100' }],
      [ENTERPRISE]: { employeeNumber: '42', department: 'Retail', manager: { value: '7' } },
    });

    it('creates a user with the enterprise extension; unknown attributes are ignored', async () => {
      const upn = uniqueEmail('AdeleV');
      const r = await scim('POST', '/Users', entraUser(upn));
      assert.equal(r.status, 201, r.text);
      id = r.body.id;
      assert.deepEqual(r.body.schemas, [USER_SCHEMA, ENTERPRISE]);
      assert.deepEqual(r.body[ENTERPRISE], {
        employeeNumber: '42',
        department: 'Retail',
        manager: { value: '7', $ref: 'https://roster.example.test/scim/v2/Users/7' },
      });
      assert.deepEqual(r.body.name, { givenName: 'Adele', familyName: 'Vance', formatted: 'Adele Vance' });
      assert.equal(r.body.externalId, `ext-${upn}`);
      assert.equal(r.body.title, undefined);
      assert.equal(r.body.phoneNumbers, undefined);
    });

    it('finds it by externalId and by userName', async () => {
      const u = (await scim('GET', `/Users/${id}`)).body;
      const byExt = await scim('GET', `/Users?filter=${encodeURIComponent(`externalId eq "${u.externalId}"`)}`);
      assert.deepEqual(
        byExt.body.Resources.map((x: any) => x.id),
        [id],
      );
      const byName = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${u.userName}"`)}`);
      assert.equal(byName.body.totalResults, 1);
    });

    it('updates with PATCH as Entra sends it: op names in any case, "False" strings, filtered email paths, extension paths', async () => {
      const newEmail = uniqueEmail('adele.new');
      const r = await scim(
        'PATCH',
        `/Users/${id}`,
        patchOp(
          { op: 'Replace', path: 'displayName', value: 'Adele V.' },
          { op: 'Replace', path: 'emails[type eq "work"].value', value: newEmail },
          { op: 'Add', path: 'title', value: 'Store Manager' },
          { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Sales' },
          { op: 'Replace', path: 'name.familyName', value: 'Vance-Smith' },
        ),
      );
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.displayName, 'Adele V.');
      assert.deepEqual(r.body.emails, [{ value: newEmail, type: 'work', primary: true }]);
      assert.equal(r.body[ENTERPRISE].department, 'Sales');
      assert.equal(r.body.name.familyName, 'Vance-Smith');
    });

    it('deactivates with {op: "Replace", path: "active", value: "False"} and reactivates with "True"', async () => {
      const off = await scim('PATCH', `/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }));
      assert.equal(off.status, 200, off.text);
      assert.equal(off.body.active, false);
      const on = await scim('PATCH', `/Users/${id}`, { Operations: [{ op: 'replace', path: 'active', value: 'True' }] });
      assert.equal(on.status, 200, on.text);
      assert.equal(on.body.active, true);
    });

    it('a PATCH that changes nothing succeeds and leaves the version as it was', async () => {
      const before = (await scim('GET', `/Users/${id}`)).body;
      const r = await scim('PATCH', `/Users/${id}`, patchOp({ op: 'replace', path: 'displayName', value: before.displayName }));
      assert.equal(r.status, 200);
      assert.equal(r.body.meta.version, before.meta.version);
      assert.equal(r.body.meta.lastModified, before.meta.lastModified);
    });

    it('removes the manager and clears the extension', async () => {
      const r = await scim('PATCH', `/Users/${id}`, patchOp({ op: 'Remove', path: `${ENTERPRISE}:manager` }));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body[ENTERPRISE].manager, undefined);
    });

    it('answers 404 for PATCH, PUT and DELETE of an unknown id', async () => {
      assert.equal((await scim('PATCH', '/Users/987654321', patchOp({ op: 'replace', value: { active: false } }))).status, 404);
      assert.equal((await scim('PUT', '/Users/987654321', oktaUser(uniqueEmail()))).status, 404);
      assert.equal((await scim('DELETE', '/Users/987654321')).status, 404);
    });
  });

  describe('the rules', () => {
    it('takes the login email from the primary, else the work, else the only email, else an email userName', async () => {
      const primary = uniqueEmail('primary');
      const a = await create(uniqueEmail(), {
        emails: [
          { value: uniqueEmail('work'), type: 'work' },
          { value: primary, type: 'home', primary: true },
        ],
      });
      assert.deepEqual(a.emails, [{ value: primary, type: 'home', primary: true }]);
      const work = uniqueEmail('work');
      const b = await create(uniqueEmail(), {
        emails: [
          { value: uniqueEmail('home'), type: 'home' },
          { value: work, type: 'work' },
        ],
      });
      assert.equal(b.emails[0].value, work);
      const only = uniqueEmail('only');
      const c = await create(uniqueEmail(), { emails: [{ value: only }] });
      assert.equal(c.emails[0].value, only);
      const userName = uniqueEmail('from-username');
      const d = await create(userName, { emails: undefined });
      assert.equal(d.emails[0].value, userName);
      assert.equal(d.emails[0].type, 'work');
    });

    it('answers 400 invalidValue for a user with no email at all, and for a bad one', async () => {
      const none = await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'jdoe' });
      assert.equal(none.status, 400);
      assert.equal(none.body.scimType, 'invalidValue');
      const bad = await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'jdoe', emails: [{ value: 'not an email', primary: true }] });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.scimType, 'invalidValue');
    });

    it('answers 400 for a missing userName, a wrong type and a body that is not an object', async () => {
      for (const body of [{ emails: [{ value: uniqueEmail() }] }, { userName: 42 }, { userName: uniqueEmail(), active: 'maybe' }, [1, 2]]) {
        const r = await scim('POST', '/Users', body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.ok(['invalidValue', 'invalidSyntax'].includes(r.body.scimType), r.text);
      }
    });

    it("applies the company's password policy (400 invalidValue) and stores an argon2id hash", async () => {
      const short = await scim('POST', '/Users', oktaUser(uniqueEmail(), { password: 'short' }));
      assert.equal(short.status, 400);
      assert.equal(short.body.scimType, 'invalidValue');
      assert.match(short.body.detail, /password/);
      const common = await scim('POST', '/Users', oktaUser(uniqueEmail(), { password: 'password123' }));
      assert.equal(common.status, 400);
      const ok = await create(uniqueEmail(), { password: GOOD_PASSWORD });
      const row = await servicesOf(srv.db).users.findById(Number(ok.id));
      assert.match(row!.password_hash!, /^\$argon2id\$/);
      assert.equal(row!.created_via, 'scim');
      assert.notEqual(row!.email_verified_at, null, 'the identity provider vouches for the address');
    });

    it('keeps userNames unique per company, case-insensitively, and lets another company reuse one', async () => {
      const userName = `bjensen-${process.pid}`;
      await create(uniqueEmail(), { userName });
      const dup = await scim('POST', '/Users', oktaUser(uniqueEmail(), { userName: userName.toUpperCase() }));
      assert.equal(dup.status, 409);
      const r = await other('POST', '/Users', oktaUser(uniqueEmail(), { userName }));
      assert.equal(r.status, 201, r.text);
      // The same-looking userName in another Unicode form ("e" + U+0301 against U+00E9) is the same one.
      await create(uniqueEmail(), { userName: `ren\u00e9-${process.pid}` });
      const decomposed = await scim('POST', '/Users', oktaUser(uniqueEmail(), { userName: `RENE\u0301-${process.pid}` }));
      assert.equal(decomposed.status, 409, decomposed.text);
      assert.equal(decomposed.body.scimType, 'uniqueness');
      const found = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "rene\u0301-${process.pid}"`)}`);
      assert.equal(found.body.totalResults, 1);
      // A PUT that takes another user's userName is refused too.
      const second = await create(uniqueEmail());
      const put = await scim('PUT', `/Users/${second.id}`, oktaUser(second.emails[0].value, { userName: ` ${userName} ` }));
      assert.equal(put.status, 409, put.text);
    });

    it('shows a user created through another API, with the email as userName, and PATCHes it without naming it', async () => {
      const s = servicesOf(srv.db);
      const email = uniqueEmail('plazbot');
      const row = await s.users.create({
        companyId: acme.companyId,
        email,
        name: 'Juan',
        lastName: 'Perez',
        passwordHash: null,
        emailVerified: true,
        createdVia: 'cli',
      });
      const r = await scim('GET', `/Users/${row.id}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.userName, email);
      assert.deepEqual(r.body.name, { givenName: 'Juan', familyName: 'Perez' });
      const off = await scim('PATCH', `/Users/${row.id}`, patchOp({ op: 'replace', path: 'active', value: false }));
      assert.equal(off.body.active, false);
      assert.equal((await s.users.findById(row.id))!.user_name, null, 'still no SCIM userName of its own');
      const found = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email.toUpperCase()}"`)}`);
      assert.equal(found.body.totalResults, 1);
    });

    it('refuses to change id or meta with PATCH (mutability), and a malformed PATCH (invalidSyntax, invalidPath)', async () => {
      const u = await create();
      const ro = await scim('PATCH', `/Users/${u.id}`, patchOp({ op: 'replace', path: 'id', value: '1' }));
      assert.equal(ro.status, 400);
      assert.equal(ro.body.scimType, 'mutability');
      const bad = await scim('PATCH', `/Users/${u.id}`, { Operations: [{ op: 'explode', path: 'x' }] });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.scimType, 'invalidSyntax');
      const path = await scim('PATCH', `/Users/${u.id}`, patchOp({ op: 'replace', path: 'emails[type eq', value: 'x' }));
      assert.equal(path.status, 400);
      assert.equal(path.body.scimType, 'invalidPath');
    });
  });

  describe('lists', () => {
    const label = `lists${process.pid}`;
    const ids: string[] = [];
    before(async () => {
      for (const [i, n] of ['Carol', 'alice', 'Bob'].entries()) {
        const r = await scim('POST', '/Users', oktaUser(uniqueEmail(`${label}-${i}`), { displayName: `${label} ${n}`, active: i !== 1 }));
        ids.push(r.body.id);
      }
    });

    it('filters on what no index serves (co, sw, and, not, active, meta.lastModified), by a bounded scan', async () => {
      const q = async (filter: string) => {
        const r = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`);
        assert.equal(r.status, 200, `${filter}: ${r.text}`);
        return r.body.Resources.map((x: any) => x.id).sort();
      };
      assert.deepEqual(await q(`displayName sw "${label}"`), [...ids].sort());
      assert.deepEqual(await q(`displayName co "${label} A" and active eq false`), [ids[1]]);
      assert.deepEqual(await q(`displayName sw "${label}" and not (active eq false)`), [ids[0], ids[2]].sort());
      assert.deepEqual(await q(`emails[value sw "${label}-2"]`), [ids[2]]);
      assert.deepEqual(await q(`DISPLAYNAME sw "${label}" and meta.lastModified gt "2000-01-01T00:00:00Z"`), [...ids].sort());
      assert.deepEqual(await q(`displayName sw "${label}" and meta.lastModified lt "2000-01-01T00:00:00Z"`), []);
    });

    it('sorts (sortBy, sortOrder) and pages (startIndex, count) with totalResults', async () => {
      const base = `/Users?filter=${encodeURIComponent(`displayName sw "${label}"`)}&sortBy=displayName`;
      const asc = await scim('GET', base);
      assert.deepEqual(
        asc.body.Resources.map((x: any) => x.displayName),
        [`${label} alice`, `${label} Bob`, `${label} Carol`],
        'case-insensitive, as displayName compares',
      );
      const desc = await scim('GET', `${base}&sortOrder=descending&startIndex=2&count=1`);
      assert.equal(desc.body.totalResults, 3);
      assert.equal(desc.body.startIndex, 2);
      assert.equal(desc.body.itemsPerPage, 1);
      assert.deepEqual(
        desc.body.Resources.map((x: any) => x.displayName),
        [`${label} Bob`],
      );
      const none = await scim('GET', `${base}&count=0`);
      assert.equal(none.body.totalResults, 3);
      assert.deepEqual(none.body.Resources, []);
    });

    it('pages the whole company without a filter', async () => {
      const all = await scim('GET', '/Users?count=2');
      assert.equal(all.status, 200);
      assert.ok(all.body.totalResults >= 3);
      assert.equal(all.body.Resources.length, 2);
      const past = await scim('GET', `/Users?startIndex=${all.body.totalResults + 1}`);
      assert.deepEqual(past.body.Resources, []);
      assert.equal(past.body.totalResults, all.body.totalResults);
    });

    it('returns only the attributes asked for, and leaves out the excluded ones', async () => {
      const r = await scim('GET', `/Users/${ids[0]}?attributes=userName,name.familyName`);
      assert.deepEqual(Object.keys(r.body).sort(), ['id', 'meta', 'name', 'schemas', 'userName']);
      assert.deepEqual(r.body.name, { familyName: 'Jensen' });
      const ex = await scim('GET', `/Users?filter=${encodeURIComponent(`id eq "${ids[0]}"`)}&excludedAttributes=emails,name`);
      assert.equal(ex.body.totalResults, 1);
      assert.equal(ex.body.Resources[0].emails, undefined);
      assert.equal(ex.body.Resources[0].name, undefined);
      assert.equal(ex.body.Resources[0].userName !== undefined, true);
    });

    it('searches with POST /Users/.search', async () => {
      const r = await scim('POST', '/Users/.search', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: `displayName sw "${label}"`,
        attributes: ['displayName'],
        sortBy: 'displayName',
        startIndex: 1,
        count: 2,
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.totalResults, 3);
      assert.deepEqual(
        r.body.Resources.map((x: any) => x.displayName),
        [`${label} alice`, `${label} Bob`],
      );
      assert.equal(r.body.Resources[0].emails, undefined);
    });

    it('answers 400 invalidFilter for an unsupported filter, never an empty list', async () => {
      for (const filter of ['title eq "x"', 'userName eq', 'password eq "x"', 'active gt true', 'userName eq "a" oops', '(userName eq "a"']) {
        const r = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`);
        assert.equal(r.status, 400, filter);
        assert.equal(r.body.scimType, 'invalidFilter', filter);
      }
      const sort = await scim('GET', '/Users?sortBy=password');
      assert.equal(sort.status, 400);
      assert.equal(sort.body.scimType, 'invalidValue');
    });
  });
});
