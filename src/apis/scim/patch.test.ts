import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScimError } from './errors.js';
import { applyPatch, applyPatchOperations, parsePatchRequest, PATCH_OP_SCHEMA, type PatchOptions } from './patch.js';
import { SCIM_LIMITS } from './limits.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, GROUP_SCHEMA, USER_RESOURCE, USER_SCHEMA, type JsonObject } from './schema.js';

const user = (): JsonObject => ({
  schemas: [USER_SCHEMA],
  id: 'u-1',
  externalId: 'ext-1',
  userName: 'bjensen@example.com',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  displayName: 'Babs',
  active: true,
  emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
  meta: { resourceType: 'User', created: '2024-01-01T00:00:00Z', lastModified: '2024-01-01T00:00:00Z', version: 'W/"1"' },
});

const group = (): JsonObject => ({
  schemas: [GROUP_SCHEMA],
  id: 'g-1',
  displayName: 'Sales',
  members: [{ value: 'u-1' }, { value: 'u-2' }],
  meta: { resourceType: 'Group', version: 'W/"1"' },
});

function patch(resource: JsonObject, operations: unknown[], rt = USER_RESOURCE, options?: PatchOptions) {
  return applyPatch(resource, { schemas: [PATCH_OP_SCHEMA], Operations: operations }, rt, options);
}

function patchError(resource: JsonObject, operations: unknown[], rt = USER_RESOURCE, options?: PatchOptions): ScimError {
  try {
    patch(resource, operations, rt, options);
  } catch (err) {
    assert.ok(err instanceof ScimError, `expected a ScimError, got ${String(err)}`);
    assert.equal(err.status, 400);
    return err;
  }
  assert.fail('expected a ScimError');
}

describe('PATCH bodies Okta sends', () => {
  it('deactivates with a value object and no path', () => {
    const body = { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'replace', value: { active: false } }] };
    const { resource, changed } = applyPatch(user(), body, USER_RESOURCE);
    assert.equal(resource.active, false);
    assert.equal(changed, true);
  });

  it('renames a group with the id echoed in the value', () => {
    const { resource, changed } = patch(group(), [{ op: 'replace', value: { id: 'g-1', displayName: 'Sales EMEA' } }], GROUP_RESOURCE);
    assert.equal(resource.displayName, 'Sales EMEA');
    assert.equal(resource.id, 'g-1');
    assert.equal(changed, true);
  });

  it('adds members with display names and removes one by filter', () => {
    const { resource } = patch(
      group(),
      [
        { op: 'add', path: 'members', value: [{ value: 'u-3', display: 'Carol' }] },
        { op: 'remove', path: 'members[value eq "u-1"]' },
      ],
      GROUP_RESOURCE,
    );
    assert.deepEqual(resource.members, [{ value: 'u-2' }, { value: 'u-3' }]);
  });
});

describe('PATCH bodies Microsoft Entra ID sends', () => {
  it('deactivates with op "Replace" and the string "False"', () => {
    const body = { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] };
    const { resource, changed } = applyPatch(user(), body, USER_RESOURCE);
    assert.equal(resource.active, false);
    assert.equal(changed, true);
    const back = applyPatch(resource, { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] }, USER_RESOURCE);
    assert.equal(back.resource.active, true);
  });

  it('adds a member with op "Add"', () => {
    const { resource, changed } = patch(group(), [{ op: 'Add', path: 'members', value: [{ value: 'id' }] }], GROUP_RESOURCE);
    assert.deepEqual(resource.members, [{ value: 'u-1' }, { value: 'u-2' }, { value: 'id' }]);
    assert.equal(changed, true);
  });

  it('removes a member with op "Remove" and a filter path', () => {
    const g = group();
    (g.members as unknown[]).push({ value: 'id' });
    const { resource, changed } = patch(g, [{ op: 'Remove', path: 'members[value eq "id"]' }], GROUP_RESOURCE);
    assert.deepEqual(resource.members, [{ value: 'u-1' }, { value: 'u-2' }]);
    assert.equal(changed, true);
  });

  it('removes only the listed members when "path": "members" comes with a value list', () => {
    const { resource } = patch(group(), [{ op: 'Remove', path: 'members', value: [{ value: 'u-1' }] }], GROUP_RESOURCE);
    assert.deepEqual(resource.members, [{ value: 'u-2' }]);
  });

  it('merges a value object with dotted keys, URN-qualified keys and string booleans', () => {
    const { resource } = patch(user(), [
      {
        op: 'replace',
        value: {
          displayName: 'Barbara J',
          'name.givenName': 'Barb',
          'name.familyName': 'Jensen-Smith',
          [`${ENTERPRISE_USER_SCHEMA}:employeeNumber`]: '701984',
          active: 'False',
        },
      },
    ]);
    assert.equal(resource.displayName, 'Barbara J');
    assert.deepEqual(resource.name, { givenName: 'Barb', familyName: 'Jensen-Smith' });
    assert.deepEqual(resource[ENTERPRISE_USER_SCHEMA], { employeeNumber: '701984' });
    assert.equal(resource.active, false);
    assert.deepEqual(resource.schemas, [USER_SCHEMA, ENTERPRISE_USER_SCHEMA], 'schemas lists the extension now present');
  });

  it('sets the work email through a filtered path, creating it when missing', () => {
    const u = user();
    u.emails = [{ value: 'old@example.com', type: 'home' }];
    const { resource } = patch(u, [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'new@example.com' }]);
    assert.deepEqual(resource.emails, [
      { value: 'old@example.com', type: 'home' },
      { type: 'work', value: 'new@example.com' },
    ]);
    const again = patch(resource, [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'newer@example.com' }]);
    assert.deepEqual(again.resource.emails, [
      { value: 'old@example.com', type: 'home' },
      { type: 'work', value: 'newer@example.com' },
    ]);
  });

  it('sets the manager from a bare id and the extension path with a colon', () => {
    const { resource } = patch(user(), [{ op: 'Add', path: `${ENTERPRISE_USER_SCHEMA}:manager`, value: 'boss-1' }]);
    assert.deepEqual(resource[ENTERPRISE_USER_SCHEMA], { manager: { value: 'boss-1' } });
    const removed = patch(resource, [{ op: 'Remove', path: `${ENTERPRISE_USER_SCHEMA}:manager` }]);
    assert.equal(ENTERPRISE_USER_SCHEMA in removed.resource, false, 'an emptied extension is removed');
    assert.deepEqual(removed.resource.schemas, [USER_SCHEMA]);
  });
});

describe('applyPatch: add', () => {
  it('appends to a multi-valued attribute, de-duplicated by value', () => {
    const { resource, changed } = patch(
      group(),
      [{ op: 'add', path: 'members', value: [{ value: 'u-2' }, { value: 'u-3' }, { value: 'u-3' }] }],
      GROUP_RESOURCE,
    );
    assert.deepEqual(resource.members, [{ value: 'u-1' }, { value: 'u-2' }, { value: 'u-3' }]);
    assert.equal(changed, true);
  });

  it('treats emails as the same value case-insensitively and updates it in place', () => {
    const { resource } = patch(user(), [{ op: 'add', path: 'emails', value: [{ value: 'BJENSEN@example.com', type: 'home' }] }]);
    assert.deepEqual(resource.emails, [{ value: 'BJENSEN@example.com', type: 'home', primary: true }]);
  });

  it('treats emails in another Unicode form as the same value (a composed and a decomposed accent)', () => {
    const u = user();
    u.emails = [{ value: 'jos\u00e9@example.com', type: 'work', primary: true }];
    const { resource } = patch(u, [{ op: 'add', path: 'emails', value: [{ value: 'JOSE\u0301@example.com', type: 'home' }] }]);
    assert.deepEqual(resource.emails, [{ value: 'JOSE\u0301@example.com', type: 'home', primary: true }]);
  });

  it('keeps a single primary value: the one just added wins', () => {
    const { resource } = patch(user(), [{ op: 'add', path: 'emails', value: { value: 'b@jensen.org', primary: true } }]);
    assert.deepEqual(resource.emails, [
      { value: 'bjensen@example.com', type: 'work', primary: false },
      { value: 'b@jensen.org', primary: true },
    ]);
  });

  it('adds sub-attributes and creates a missing complex attribute', () => {
    const u = user();
    delete u.name;
    const { resource } = patch(u, [{ op: 'add', path: 'name.formatted', value: 'Ms. Barbara Jensen' }]);
    assert.deepEqual(resource.name, { formatted: 'Ms. Barbara Jensen' });
  });

  it('merges a complex value, keeping sub-attributes not given', () => {
    const { resource } = patch(user(), [{ op: 'add', path: 'name', value: { formatted: 'B. Jensen' } }]);
    assert.deepEqual(resource.name, { givenName: 'Barbara', familyName: 'Jensen', formatted: 'B. Jensen' });
  });

  it('accepts attribute names and message keys in any case, and writes canonical names', () => {
    const { resource } = applyPatch(user(), { SCHEMAS: [PATCH_OP_SCHEMA], operations: [{ OP: 'ADD', PATH: 'DISPLAYNAME', VALUE: 'B' }] }, USER_RESOURCE);
    assert.equal(resource.displayName, 'B');
    assert.equal('DISPLAYNAME' in resource, false);
    const { resource: r2 } = patch(user(), [
      { op: 'add', path: 'NAME.GIVENNAME', value: 'Bee' },
      { op: 'add', value: { Emails: [{ VALUE: 'x@y.z', Type: 'home' }] } },
    ]);
    assert.deepEqual(r2.name, { givenName: 'Bee', familyName: 'Jensen' });
    assert.deepEqual((r2.emails as unknown[])[1], { value: 'x@y.z', type: 'home' });
  });

  it("keeps the resource's own key casing", () => {
    const u: JsonObject = { ...user(), DisplayName: 'Old' };
    delete u.displayName;
    const { resource } = patch(u, [{ op: 'replace', path: 'displayName', value: 'New' }]);
    assert.equal(resource.DisplayName, 'New');
    assert.equal('displayName' in resource, false);
  });

  it('adds whole extension objects', () => {
    const { resource } = patch(user(), [
      { op: 'add', value: { [ENTERPRISE_USER_SCHEMA]: { department: 'Ops', manager: { value: 'm-1', displayName: 'ignored' } } } },
    ]);
    assert.deepEqual(resource[ENTERPRISE_USER_SCHEMA], { department: 'Ops', manager: { value: 'm-1' } });
    const { resource: r2 } = patch(user(), [{ op: 'add', path: ENTERPRISE_USER_SCHEMA, value: { employeeNumber: '7' } }]);
    assert.deepEqual(r2[ENTERPRISE_USER_SCHEMA], { employeeNumber: '7' });
  });

  it('sets a password (writeOnly) for the caller to hash', () => {
    const { resource, changed } = patch(user(), [{ op: 'replace', path: 'password', value: 'n3w-Passw0rd' }]);
    assert.equal(resource.password, 'n3w-Passw0rd');
    assert.equal(changed, true);
  });
});

describe('applyPatch: replace', () => {
  it('replaces a multi-valued attribute entirely', () => {
    const { resource } = patch(group(), [{ op: 'replace', path: 'members', value: [{ value: 'u-9' }] }], GROUP_RESOURCE);
    assert.deepEqual(resource.members, [{ value: 'u-9' }]);
  });

  it('replaces sub-attributes of the values a filter selects', () => {
    const u = user();
    u.emails = [
      { value: 'a@x.com', type: 'work' },
      { value: 'b@x.com', type: 'home' },
    ];
    const { resource } = patch(u, [{ op: 'replace', path: 'emails[type eq "home"].type', value: 'other' }]);
    assert.deepEqual(resource.emails, [
      { value: 'a@x.com', type: 'work' },
      { value: 'b@x.com', type: 'other' },
    ]);
  });

  it('replaces whole values a filter selects', () => {
    const u = user();
    const { resource } = patch(u, [{ op: 'replace', path: 'emails[type eq "work"]', value: { value: 'w@x.com', type: 'work' } }]);
    assert.deepEqual(resource.emails, [{ value: 'w@x.com', type: 'work' }]);
  });

  it('removes an attribute replaced with null', () => {
    const { resource } = patch(user(), [{ op: 'replace', path: 'displayName', value: null }]);
    assert.equal('displayName' in resource, false);
  });

  it('answers noTarget when a filter matches nothing and describes no value to create', () => {
    const err = patchError(user(), [{ op: 'replace', path: 'emails[value co "nobody"].type', value: 'home' }]);
    assert.equal(err.scimType, 'noTarget');
  });
});

describe('applyPatch: remove', () => {
  it('removes attributes, sub-attributes and filtered values', () => {
    const { resource } = patch(user(), [
      { op: 'remove', path: 'displayName' },
      { op: 'remove', path: 'name.givenName' },
      { op: 'remove', path: 'emails[type eq "work"]' },
    ]);
    assert.equal('displayName' in resource, false);
    assert.deepEqual(resource.name, { familyName: 'Jensen' });
    assert.equal('emails' in resource, false, 'a multi-valued attribute left empty is unassigned');
  });

  it('removes every member without a filter or value', () => {
    const { resource } = patch(group(), [{ op: 'remove', path: 'members' }], GROUP_RESOURCE);
    assert.equal('members' in resource, false);
  });

  it('answers noTarget without a path', () => {
    assert.equal(patchError(user(), [{ op: 'remove' }]).scimType, 'noTarget');
  });
});

describe('applyPatch: nothing changed', () => {
  it('reports unchanged for a PATCH that leaves the resource as it was', () => {
    const cases: unknown[][] = [
      [{ op: 'replace', path: 'active', value: 'True' }],
      [{ op: 'replace', value: { active: true, displayName: 'Babs' } }],
      [{ op: 'add', path: 'emails', value: [{ value: 'bjensen@example.com' }] }],
      [{ op: 'remove', path: 'emails[type eq "home"]' }],
      [
        { op: 'remove', path: 'externalId' },
        { op: 'add', path: 'externalId', value: 'ext-1' },
      ],
      [{ op: 'remove', path: `${ENTERPRISE_USER_SCHEMA}:department` }],
      [{ op: 'replace', value: { id: 'u-1', meta: { version: 'W/"9"' } } }],
    ];
    for (const ops of cases) {
      const before = user();
      const { resource, changed } = patch(before, ops);
      assert.equal(changed, false, JSON.stringify(ops));
      assert.deepEqual(resource, user(), JSON.stringify(ops));
    }
    const g = patch(
      group(),
      [
        { op: 'Remove', path: 'members[value eq "absent"]' },
        { op: 'Add', path: 'members', value: [{ value: 'u-1' }] },
      ],
      GROUP_RESOURCE,
    );
    assert.equal(g.changed, false);
  });

  it('never modifies the resource it is given', () => {
    const before = user();
    patch(before, [
      { op: 'replace', path: 'name.givenName', value: 'X' },
      { op: 'remove', path: 'emails' },
    ]);
    assert.deepEqual(before, user());
  });
});

describe('applyPatch: errors', () => {
  it('refuses to change id or meta (mutability)', () => {
    assert.equal(patchError(user(), [{ op: 'replace', path: 'id', value: 'other' }]).scimType, 'mutability');
    assert.equal(patchError(user(), [{ op: 'replace', value: { id: 'other' } }]).scimType, 'mutability');
    assert.equal(patchError(user(), [{ op: 'replace', path: 'meta.version', value: 'W/"2"' }]).scimType, 'mutability');
    assert.equal(patchError(user(), [{ op: 'remove', path: 'meta' }]).scimType, 'mutability');
    assert.equal(patchError(user(), [{ op: 'remove', path: 'id' }]).scimType, 'mutability');
  });

  it('refuses to remove a required attribute (mutability)', () => {
    assert.equal(patchError(user(), [{ op: 'remove', path: 'userName' }]).scimType, 'mutability');
    assert.equal(patchError(group(), [{ op: 'replace', path: 'displayName', value: null }], GROUP_RESOURCE).scimType, 'mutability');
  });

  it("refuses to change an existing member's immutable value", () => {
    assert.equal(patchError(group(), [{ op: 'replace', path: 'members[value eq "u-1"].value', value: 'u-9' }], GROUP_RESOURCE).scimType, 'mutability');
  });

  it('answers invalidPath for unknown attributes, bad paths and filters on single values', () => {
    for (const path of ['nickName', 'name.middleName', 'userName.x', 'emails[kind eq "x"].value', 'name[givenName eq "x"]', 'emails[', 'a b']) {
      assert.equal(patchError(user(), [{ op: 'replace', path, value: 'x' }]).scimType, 'invalidPath', path);
    }
    assert.equal(patchError(user(), [{ op: 'add', value: { nickName: 'x' } }]).scimType, 'invalidPath');
    assert.equal(patchError(user(), [{ op: 'add', path: 42, value: 'x' }]).scimType, 'invalidPath');
  });

  it('skips unknown attributes when asked to', () => {
    const { resource, changed } = patch(
      user(),
      [
        { op: 'Add', path: 'title', value: 'Boss' },
        { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '1' },
        { op: 'replace', value: { nickName: 'B', displayName: 'New', emails: [{ value: 'n@x.y', display: 'N' }] } },
      ],
      USER_RESOURCE,
      { ignoreUnknownAttributes: true },
    );
    assert.equal(changed, true);
    assert.equal(resource.displayName, 'New');
    assert.equal('title' in resource, false);
    assert.deepEqual(resource.emails, [{ value: 'n@x.y' }]);
  });

  it('answers invalidValue for values of the wrong type', () => {
    const bad: unknown[] = [
      { op: 'replace', path: 'active', value: 'yes' },
      { op: 'replace', path: 'active', value: 1 },
      { op: 'replace', path: 'userName', value: 42 },
      { op: 'replace', path: 'name', value: [1] },
      { op: 'replace', path: 'name.givenName', value: { x: 1 } },
      { op: 'add', path: 'emails', value: [{ value: 'a@b.c', primary: 'maybe' }] },
      { op: 'add', path: 'emails', value: [{ value: 'a@b.c', bogus: 1 }] },
      { op: 'replace', value: 'not an object' },
      { op: 'replace', value: [{ active: false }] },
      { op: 'add', value: { [ENTERPRISE_USER_SCHEMA]: 'x' } },
    ];
    for (const op of bad) assert.equal(patchError(user(), [op]).scimType, 'invalidValue', JSON.stringify(op));
  });

  it('answers invalidSyntax for malformed messages', () => {
    const bodies: unknown[] = [
      null,
      [],
      'x',
      { schemas: [PATCH_OP_SCHEMA] },
      { schemas: [PATCH_OP_SCHEMA], Operations: {} },
      { schemas: ['urn:wrong'], Operations: [{ op: 'add', path: 'displayName', value: 'x' }] },
      { Operations: [{ op: 'merge', path: 'displayName', value: 'x' }] },
      { Operations: [{ path: 'displayName', value: 'x' }] },
      { Operations: ['add'] },
    ];
    for (const body of bodies) {
      try {
        applyPatch(user(), body, USER_RESOURCE);
        assert.fail(`accepted ${JSON.stringify(body)}`);
      } catch (err) {
        assert.ok(err instanceof ScimError);
        assert.equal(err.scimType, 'invalidSyntax', JSON.stringify(body));
      }
    }
  });

  it('requires a value for add and replace', () => {
    assert.equal(patchError(user(), [{ op: 'add', path: 'displayName' }]).scimType, 'invalidValue');
    assert.equal(patchError(user(), [{ op: 'replace' }]).scimType, 'invalidValue');
  });

  it('bounds the number of operations', () => {
    const ops = Array.from({ length: SCIM_LIMITS.maxPatchOperations + 1 }, () => ({ op: 'replace', path: 'displayName', value: 'x' }));
    assert.match(patchError(user(), ops).detail, /at most/);
    assert.doesNotThrow(() => patch(user(), ops.slice(1)));
    assert.throws(() => parsePatchRequest({ Operations: ops.slice(0, 3) }, { maxOperations: 2 }), ScimError);
    assert.throws(() => parsePatchRequest({ Operations: [] }), ScimError);
  });

  it('applies all operations or none', () => {
    const before = user();
    assert.throws(
      () =>
        patch(before, [
          { op: 'replace', path: 'displayName', value: 'X' },
          { op: 'replace', path: 'id', value: 'y' },
        ]),
      ScimError,
    );
    assert.equal(before.displayName, 'Babs');
  });
});

describe('parsePatchRequest', () => {
  it('normalises op names and keeps path and value', () => {
    assert.deepEqual(
      parsePatchRequest({
        schemas: [PATCH_OP_SCHEMA],
        Operations: [
          { op: 'Replace', path: 'active', value: 'False' },
          { op: 'REMOVE', path: 'x' },
        ],
      }),
      [
        { op: 'replace', path: 'active', value: 'False' },
        { op: 'remove', path: 'x' },
      ],
    );
  });

  it('accepts operations applied directly', () => {
    const { resource } = applyPatchOperations(user(), [{ op: 'replace', path: 'displayName', value: 'Direct' }], USER_RESOURCE);
    assert.equal(resource.displayName, 'Direct');
  });
});

// ---------------------------------------------------------------- properties

const paths = fc.constantFrom(
  'active',
  'userName',
  'displayName',
  'externalId',
  'password',
  'id',
  'meta',
  'meta.version',
  'name',
  'name.givenName',
  'emails',
  'emails.value',
  'emails.primary',
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[type eq "work" and primary eq true].value',
  'emails[value co "@"].type',
  'members',
  'members[value eq "u-1"]',
  'members[value eq "u-1"].value',
  `${ENTERPRISE_USER_SCHEMA}:manager`,
  `${ENTERPRISE_USER_SCHEMA}:manager.value`,
  `${ENTERPRISE_USER_SCHEMA}:department`,
  ENTERPRISE_USER_SCHEMA,
  `${USER_SCHEMA}:userName`,
  'EMAILS[TYPE EQ "work"].VALUE',
  'nickName',
  'emails[',
  'name.x.y',
  '',
);
const values = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('True', 'False', 'x@y.z', 'u-1', true, false, null),
  fc.array(
    fc.record(
      { value: fc.oneof(fc.string(), fc.constantFrom('u-1', 'u-2')), type: fc.constantFrom('work', 'home'), primary: fc.boolean(), display: fc.string() },
      { requiredKeys: [] },
    ),
  ),
  fc.dictionary(
    fc.constantFrom(
      'active',
      'displayName',
      'name.givenName',
      'emails',
      'id',
      'meta',
      'schemas',
      ENTERPRISE_USER_SCHEMA,
      `${ENTERPRISE_USER_SCHEMA}:department`,
      'bogus',
      'a b',
    ),
    fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('False', 'x')),
  ),
);
const operation = fc.record(
  {
    op: fc.oneof(fc.constantFrom('add', 'Add', 'remove', 'Remove', 'replace', 'REPLACE'), fc.string()),
    path: fc.oneof(paths, fc.string(), fc.jsonValue({ maxDepth: 1 })),
    value: values,
  },
  { requiredKeys: ['op'] },
);
const resources = fc.oneof(
  fc.constant(null).map(() => user()),
  fc.constant(null).map(() => group()),
  fc.dictionary(
    fc.constantFrom('id', 'userName', 'active', 'emails', 'members', 'name', 'meta', 'schemas', 'displayName', ENTERPRISE_USER_SCHEMA, 'DisplayName', 'other'),
    fc.jsonValue({ maxDepth: 3 }),
  ),
);

describe('PATCH properties', () => {
  it('random operations on random resources apply or throw ScimError, never another error', () => {
    fc.assert(
      fc.property(resources, fc.array(operation, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.boolean(), (resource, ops, isGroup, ignore) => {
        const copy = JSON.stringify(resource);
        try {
          const result = applyPatch(resource, { schemas: [PATCH_OP_SCHEMA], Operations: ops }, isGroup ? GROUP_RESOURCE : USER_RESOURCE, {
            ignoreUnknownAttributes: ignore,
          });
          assert.equal(typeof result.changed, 'boolean');
          assert.equal(typeof result.resource, 'object');
          JSON.stringify(result.resource);
        } catch (err) {
          if (!(err instanceof ScimError)) throw err;
          assert.equal(err.status, 400);
        }
        assert.equal(JSON.stringify(resource), copy, 'the input resource is never modified');
      }),
      { numRuns: 4000 },
    );
  });

  it('applying the same add twice changes nothing the second time', () => {
    const addOp = fc.record({
      path: fc.constantFrom('displayName', 'name.givenName', 'emails', 'active', `${ENTERPRISE_USER_SCHEMA}:department`, 'emails[type eq "work"].value'),
      value: fc.oneof(fc.string({ minLength: 1 }), fc.boolean(), fc.array(fc.record({ value: fc.string({ minLength: 1 }) }), { minLength: 1, maxLength: 3 })),
    });
    fc.assert(
      fc.property(addOp, ({ path, value }) => {
        let first;
        try {
          first = patch(user(), [{ op: 'add', path, value }]);
        } catch (err) {
          assert.ok(err instanceof ScimError);
          return;
        }
        const second = patch(first.resource, [{ op: 'add', path, value }]);
        assert.equal(second.changed, false);
        assert.deepStrictEqual(second.resource, first.resource);
      }),
      { numRuns: 1000 },
    );
  });
});
