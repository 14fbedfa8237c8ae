import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AccountRow, UserRow } from '../../store/schema.js';
import { ScimError } from './errors.js';
import { applyPatch } from './patch.js';
import { groupFields, groupResource, ifMatchAllows, parseScimId, userColumns, userFields, userResource, versionOf } from './resources.js';
import { ENTERPRISE_USER_SCHEMA, USER_RESOURCE, USER_SCHEMA, type JsonObject } from './schema.js';

const BASE = 'https://roster.example.test/scim/v2';

const row: UserRow = {
  id: 7,
  company_id: 1,
  email: 'ada@example.com',
  name: 'Ada',
  last_name: 'Lovelace',
  display_name: null,
  password_hash: '$argon2id$secret-hash',
  email_verified_at: '2026-01-01T00:00:00.000Z',
  default_start_week: 0,
  is_external_creation: 1,
  custom_attributes: '{}',
  ui_settings: '{}',
  message_signature: null,
  pubsub_token_digest: 'digest',
  created_via: 'scim',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-02T00:00:00.000Z',
  active: 1,
  credential_version: 0,
  user_name: 'ADA',
  user_name_key: 'ada',
  external_id: null,
  name_formatted: null,
  email_type: null,
  employee_number: null,
  department: null,
  manager_id: null,
  pubsub_token_sealed: null,
  avatar_url: null,
};

function scimError(fn: () => unknown, scimType: string): ScimError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ScimError, String(err));
    assert.equal(err.scimType, scimType, err.detail);
    return err;
  }
  assert.fail(`expected ${scimType}`);
}

describe('userResource', () => {
  it('shows the row as a User: the SCIM userName, the one email as primary work email, never the hash', () => {
    const r = userResource(row, BASE);
    assert.deepEqual(r, {
      schemas: [USER_SCHEMA],
      id: '7',
      userName: 'ADA',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
      active: true,
      meta: {
        resourceType: 'User',
        created: row.created_at,
        lastModified: row.updated_at,
        location: `${BASE}/Users/7`,
        version: (r.meta as { version: string }).version,
      },
    });
    assert.doesNotMatch(JSON.stringify(r), /argon2|digest/);
  });

  it('uses the email as userName for a user no SCIM client named, and lists the enterprise extension when set', () => {
    const r = userResource({ ...row, user_name: null, user_name_key: null, department: 'Ops', active: 0 }, BASE);
    assert.equal(r.userName, 'ada@example.com');
    assert.equal(r.active, false);
    assert.deepEqual(r.schemas, [USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
    assert.deepEqual(r[ENTERPRISE_USER_SCHEMA], { department: 'Ops' });
  });

  it('has a version that changes with what it shows, and only then', () => {
    const v = (u: UserRow) => (userResource(u, BASE).meta as { version: string }).version;
    assert.equal(v(row), v({ ...row }));
    assert.notEqual(v(row), v({ ...row, display_name: 'A' }));
    assert.notEqual(v(row), v({ ...row, updated_at: '2026-01-03T00:00:00.000Z' }));
    assert.equal(v(row), v({ ...row, password_hash: 'other' }), 'the hash is not shown, so it is not in the version');
  });

  it('round-trips: the fields read back from a shown user are its columns', () => {
    const shown = userResource({ ...row, external_id: 'e1', name_formatted: 'Ada L.', email_type: 'home', employee_number: '9', manager_id: '3' }, BASE);
    const cols = userColumns(userFields(shown));
    assert.deepEqual(cols, {
      email: 'ada@example.com',
      name: 'Ada',
      last_name: 'Lovelace',
      display_name: null,
      user_name: 'ADA',
      user_name_key: 'ada',
      external_id: 'e1',
      name_formatted: 'Ada L.',
      email_type: 'home',
      employee_number: '9',
      department: null,
      manager_id: '3',
    });
  });
});

describe('userFields', () => {
  const base = { schemas: [USER_SCHEMA], userName: 'bjensen' };

  it('takes the primary email, else the work one, else the only one, else an email userName', () => {
    const email = (body: JsonObject) => userFields({ ...base, ...body }).email;
    assert.equal(
      email({
        emails: [
          { value: 'w@x.com', type: 'work' },
          { value: 'P@x.com', type: 'home', primary: 'True' },
        ],
      }),
      'p@x.com',
    );
    assert.equal(
      email({
        emails: [
          { value: 'h@x.com', type: 'home' },
          { value: 'w@x.com', type: 'Work' },
        ],
      }),
      'w@x.com',
    );
    assert.equal(email({ emails: [{ value: 'only@x.com' }] }), 'only@x.com');
    assert.equal(userFields({ userName: ' B@X.com ' }).email, 'b@x.com');
    scimError(
      () =>
        userFields({
          ...base,
          emails: [
            { value: 'h1@x.com', type: 'home' },
            { value: 'h2@x.com', type: 'home' },
          ],
        }),
      'invalidValue',
    );
    scimError(() => userFields(base), 'invalidValue');
  });

  it('fills users.name from givenName, else formatted, else displayName, else userName', () => {
    const name = (body: JsonObject) => userFields({ ...base, userName: 'b@x.com', ...body }).name;
    assert.equal(name({ name: { givenName: 'G', formatted: 'F' }, displayName: 'D' }), 'G');
    assert.equal(name({ name: { formatted: 'F' }, displayName: 'D' }), 'F');
    assert.equal(name({ displayName: 'D' }), 'D');
    assert.equal(name({}), 'b@x.com');
  });

  it('reads attribute names in any case and the manager as an object or a bare id', () => {
    const f = userFields({ USERNAME: 'b@x.com', Active: 'False', [ENTERPRISE_USER_SCHEMA.toUpperCase()]: { Manager: '12', department: 'Ops' } });
    assert.equal(f.active, false);
    assert.equal(f.managerId, '12');
    assert.equal(f.department, 'Ops');
    assert.equal(userFields({ ...base, userName: 'b@x.com', [ENTERPRISE_USER_SCHEMA]: { manager: { value: '5' } } }).managerId, '5');
  });

  it('refuses what cannot be stored: wrong types, control characters, over-long strings, an empty password', () => {
    for (const body of [
      { userName: 'b@x.com', displayName: 42 },
      { userName: 'b@x.com', displayName: 'a\u0000b' },
      { userName: 'b@x.com', name: 'Barbara' },
      { userName: 'b@x.com', externalId: 'x'.repeat(256) },
      { userName: 'b@x.com', password: '' },
      { userName: 'b@x.com', active: 'yes' },
      { userName: 'b@x.com', emails: 'b@x.com' },
      { userName: '   ' },
    ]) {
      scimError(() => userFields(body), 'invalidValue');
    }
  });

  it('never throws anything but a ScimError, whatever the input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        for (const input of [
          { userName: 'b@x.com', emails: a, name: b },
          { userName: a, [ENTERPRISE_USER_SCHEMA]: b },
        ]) {
          try {
            userFields(input);
          } catch (err) {
            assert.ok(err instanceof ScimError, String(err));
          }
        }
      }),
    );
  });

  it('reads what an Entra PATCH leaves (filtered email path) as the new login email', () => {
    const { resource } = applyPatch(
      userResource(row, BASE),
      { Operations: [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@example.com' }] },
      USER_RESOURCE,
    );
    assert.equal(userFields(resource).email, 'new@example.com');
  });
});

describe('groups', () => {
  const account: AccountRow = {
    id: 3,
    company_id: 1,
    name: 'Support',
    locale: 'en',
    domain: null,
    support_email: null,
    status: 'active',
    features: '[]',
    limits: '{}',
    custom_attributes: '{}',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    external_id: null,
  };

  it('shows members as values with $ref and display; the version follows the membership stamp, not the member list', () => {
    const g = groupResource(account, [{ account_id: 3, user_id: 9, name: 'Ada', display_name: '' }], undefined, BASE);
    assert.deepEqual(g.members, [{ value: '9', $ref: `${BASE}/Users/9`, display: 'Ada', type: 'User' }]);
    const without = groupResource(account, undefined, undefined, BASE);
    assert.equal(without.members, undefined);
    assert.deepEqual(without.meta, g.meta);
    const stamp = { account_id: 3, n: 1, id_sum: '4', id_max: 4, changed: account.updated_at };
    assert.notEqual((groupResource(account, undefined, stamp, BASE).meta as JsonObject).version, (g.meta as JsonObject).version);
  });

  it('reads members as user ids, without repeats; refuses nested groups and values that are not ids', () => {
    assert.deepEqual(groupFields({ displayName: 'G', members: [{ value: '2' }, { value: '1' }, { value: '2' }, null] }).members, [2, 1]);
    assert.deepEqual(groupFields({ displayName: 'G' }).members, []);
    for (const members of [[{ value: 'u-1' }], [{ value: '1', type: 'Group' }], ['1'], { value: '1' }]) {
      scimError(() => groupFields({ displayName: 'G', members }), 'invalidValue');
    }
    scimError(() => groupFields({ members: [] }), 'invalidValue');
  });
});

describe('ids and versions', () => {
  it('parses only the ids roster hands out', () => {
    assert.equal(parseScimId('12'), 12);
    for (const bad of ['0', '012', '-1', '1.5', '1e3', ' 1', '99999999999999999', 12, undefined]) assert.equal(parseScimId(bad), undefined, String(bad));
  });

  it('compares If-Match weakly, with lists and *', () => {
    const v = versionOf({ a: 1 });
    assert.match(v, /^W\/"[0-9a-f]{16}"$/);
    assert.equal(ifMatchAllows(undefined, v), true);
    assert.equal(ifMatchAllows(v, v), true);
    assert.equal(ifMatchAllows(v.slice(2), v), true, 'the strong form of the same tag');
    assert.equal(ifMatchAllows(`"x", ${v}`, v), true);
    assert.equal(ifMatchAllows('*', v), true);
    assert.equal(ifMatchAllows('W/"0000000000000000"', v), false);
    assert.equal(ifMatchAllows('', v), false);
  });
});
