import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScimError } from './errors.js';
import { SCIM_LIMITS } from './limits.js';
import { attributeRequested, listResponse, parseListQuery, projectResource, resolveAttributeRef } from './list.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, GROUP_SCHEMA, USER_RESOURCE, USER_SCHEMA, type JsonObject } from './schema.js';

function invalid(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ScimError);
    assert.equal(err.scimType, 'invalidValue');
    return err;
  }
  assert.fail('expected invalidValue');
}

const user: JsonObject = {
  schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
  id: 'u-1',
  externalId: 'ext-1',
  userName: 'bjensen',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  displayName: 'Babs',
  active: true,
  password: 'must-never-leave',
  emails: [{ value: 'b@x.com', type: 'work', primary: true }],
  meta: { resourceType: 'User', version: 'W/"1"' },
  [ENTERPRISE_USER_SCHEMA]: { department: 'Ops', employeeNumber: '7' },
};

describe('parseListQuery', () => {
  it('defaults startIndex to 1 and count to the default', () => {
    assert.deepEqual(parseListQuery({}, USER_RESOURCE), { startIndex: 1, count: SCIM_LIMITS.defaultCount, sortOrder: 'ascending' });
    assert.deepEqual(parseListQuery(undefined, USER_RESOURCE, { defaultCount: 10 }), { startIndex: 1, count: 10, sortOrder: 'ascending' });
  });

  it('reads query-string values and clamps them', () => {
    assert.equal(parseListQuery({ startIndex: '5', count: '7' }, USER_RESOURCE).startIndex, 5);
    assert.equal(parseListQuery({ startIndex: '0' }, USER_RESOURCE).startIndex, 1, 'less than 1 is 1 (RFC 7644 §3.4.2.4)');
    assert.equal(parseListQuery({ startIndex: '-3' }, USER_RESOURCE).startIndex, 1);
    assert.equal(parseListQuery({ count: '-1' }, USER_RESOURCE).count, 0, 'a negative count is 0');
    assert.equal(parseListQuery({ count: '100000' }, USER_RESOURCE).count, SCIM_LIMITS.maxCount);
    assert.equal(parseListQuery({ count: 50 }, USER_RESOURCE, { maxCount: 20 }).count, 20);
    assert.equal(parseListQuery({ startIndex: '9'.repeat(300) }, USER_RESOURCE).startIndex, SCIM_LIMITS.maxStartIndex);
    assert.equal(parseListQuery({ STARTINDEX: 3 }, USER_RESOURCE).startIndex, 3, 'parameter names in any case');
  });

  it('rejects non-integers and repeated parameters', () => {
    for (const q of [{ count: 'ten' }, { count: '1.5' }, { startIndex: 2.5 }, { count: true }, { count: ['1', '2'] }, { startIndex: '1e3' }]) {
      invalid(() => parseListQuery(q, USER_RESOURCE));
    }
  });

  it('reads sortBy and sortOrder', () => {
    const q = parseListQuery({ sortBy: 'NAME.familyName', sortOrder: 'Descending' }, USER_RESOURCE);
    assert.deepEqual(q.sortBy, { schema: USER_SCHEMA, extension: false, attribute: 'name', sub: 'familyName', path: 'name.familyName' });
    assert.equal(q.sortOrder, 'descending');
    assert.equal(parseListQuery({ sortBy: 'meta.lastModified' }, USER_RESOURCE).sortBy?.path, 'meta.lastModified');
    assert.equal(parseListQuery({ sortBy: `${ENTERPRISE_USER_SCHEMA}:department` }, USER_RESOURCE).sortBy?.path, `${ENTERPRISE_USER_SCHEMA}:department`);
    invalid(() => parseListQuery({ sortOrder: 'sideways' }, USER_RESOURCE));
    invalid(() => parseListQuery({ sortBy: 'nickName' }, USER_RESOURCE));
    invalid(() => parseListQuery({ sortBy: 'password' }, USER_RESOURCE));
    invalid(() => parseListQuery({ sortBy: 'name' }, USER_RESOURCE));
    invalid(() => parseListQuery({ sortBy: 'emails[type eq "work"]' }, USER_RESOURCE));
  });

  it('passes the filter through as text', () => {
    assert.equal(parseListQuery({ filter: 'userName eq "x"' }, USER_RESOURCE).filter, 'userName eq "x"');
    invalid(() => parseListQuery({ filter: 5 }, USER_RESOURCE));
  });

  it('resolves attributes and excludedAttributes, ignoring names the schema lacks', () => {
    const q = parseListQuery({ attributes: 'userName, emails.value,nickName', excludedAttributes: ['members'] }, USER_RESOURCE);
    assert.deepEqual(
      q.attributes?.map((r) => r.path),
      ['userName', 'emails.value'],
    );
    assert.deepEqual(q.excludedAttributes, []);
    const search = parseListQuery({ attributes: [ENTERPRISE_USER_SCHEMA, 'urn:ietf:params:scim:schemas:core:2.0:User:displayName'] }, USER_RESOURCE);
    assert.deepEqual(
      search.attributes?.map((r) => r.path),
      [ENTERPRISE_USER_SCHEMA, 'displayName'],
    );
    invalid(() => parseListQuery({ attributes: 'user name' }, USER_RESOURCE));
    invalid(() => parseListQuery({ attributes: 'emails[type eq "work"]' }, USER_RESOURCE));
    invalid(() => parseListQuery({ attributes: [5] }, USER_RESOURCE));
    invalid(() => parseListQuery({ attributes: Array.from({ length: SCIM_LIMITS.maxAttributeNames + 1 }, (_, i) => `a${i}`).join(',') }, USER_RESOURCE));
  });

  it('never throws anything but ScimError', () => {
    const value = fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 }), fc.array(fc.string(), { maxLength: 3 }));
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('startIndex', 'count', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes', 'filter', 'COUNT'), value),
        (q) => {
          try {
            const parsed = parseListQuery(q, USER_RESOURCE);
            assert.ok(parsed.startIndex >= 1 && parsed.count >= 0 && parsed.count <= SCIM_LIMITS.maxCount);
          } catch (err) {
            assert.ok(err instanceof ScimError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('projectResource', () => {
  it('returns default attributes, never the password', () => {
    const out = projectResource(user, USER_RESOURCE);
    const expected = { ...user };
    delete expected.password;
    assert.deepEqual(out, expected);
  });

  it('returns only what attributes asks for, plus id, schemas and meta', () => {
    const q = parseListQuery({ attributes: 'userName,name.familyName,emails.value,password' }, USER_RESOURCE);
    assert.deepEqual(projectResource(user, USER_RESOURCE, q), {
      schemas: user.schemas,
      id: 'u-1',
      userName: 'bjensen',
      name: { familyName: 'Jensen' },
      emails: [{ value: 'b@x.com' }],
      meta: user.meta,
    });
  });

  it('selects extension attributes and whole extensions', () => {
    const one = parseListQuery({ attributes: `${ENTERPRISE_USER_SCHEMA}:department` }, USER_RESOURCE);
    assert.deepEqual(projectResource(user, USER_RESOURCE, one)[ENTERPRISE_USER_SCHEMA], { department: 'Ops' });
    const whole = parseListQuery({ attributes: ENTERPRISE_USER_SCHEMA }, USER_RESOURCE);
    const out = projectResource(user, USER_RESOURCE, whole);
    assert.deepEqual(out[ENTERPRISE_USER_SCHEMA], { department: 'Ops', employeeNumber: '7' });
    assert.equal('userName' in out, false);
  });

  it('drops excludedAttributes, but never id, schemas or meta', () => {
    const q = parseListQuery({ excludedAttributes: 'emails,name.givenName,id,meta,department' }, USER_RESOURCE);
    const out = projectResource(user, USER_RESOURCE, q);
    assert.equal('emails' in out, false);
    assert.deepEqual(out.name, { familyName: 'Jensen' });
    assert.equal(out.id, 'u-1');
    assert.deepEqual(out.meta, user.meta);
    assert.deepEqual(out[ENTERPRISE_USER_SCHEMA], { employeeNumber: '7' });
    assert.equal('password' in out, false);
  });

  it('drops members from a Group with excludedAttributes=members', () => {
    const grp = { schemas: [GROUP_SCHEMA], id: 'g', displayName: 'Sales', members: [{ value: 'u-1' }], meta: { resourceType: 'Group' } };
    const q = parseListQuery({ excludedAttributes: 'members' }, GROUP_RESOURCE);
    assert.deepEqual(projectResource(grp, GROUP_RESOURCE, q), { schemas: [GROUP_SCHEMA], id: 'g', displayName: 'Sales', meta: { resourceType: 'Group' } });
    assert.equal(attributeRequested(GROUP_RESOURCE, q, 'members'), false);
    assert.equal(attributeRequested(GROUP_RESOURCE, {}, 'members'), true);
    assert.equal(attributeRequested(GROUP_RESOURCE, parseListQuery({ attributes: 'displayName' }, GROUP_RESOURCE), 'members'), false);
    assert.equal(attributeRequested(GROUP_RESOURCE, parseListQuery({ attributes: 'members.value' }, GROUP_RESOURCE), 'members'), true);
    assert.equal(attributeRequested(USER_RESOURCE, {}, 'password'), false);
  });

  it('keeps attributes the schema does not know only when no attributes were asked for', () => {
    const withExtra = { ...user, groups: [{ value: 'g' }] };
    assert.deepEqual(projectResource(withExtra, USER_RESOURCE).groups, [{ value: 'g' }]);
    assert.equal('groups' in projectResource(withExtra, USER_RESOURCE, parseListQuery({ attributes: 'userName' }, USER_RESOURCE)), false);
  });
});

describe('resolveAttributeRef', () => {
  it('canonicalises names and returns undefined for unknown ones', () => {
    assert.deepEqual(resolveAttributeRef('USERNAME', USER_RESOURCE), { schema: USER_SCHEMA, extension: false, attribute: 'userName', path: 'userName' });
    assert.equal(
      resolveAttributeRef('urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:MANAGER.value', USER_RESOURCE)?.path,
      `${ENTERPRISE_USER_SCHEMA}:manager.value`,
    );
    assert.equal(resolveAttributeRef('emails.nothing', USER_RESOURCE), undefined);
    assert.equal(resolveAttributeRef('members', USER_RESOURCE), undefined);
  });
});

describe('listResponse', () => {
  it('wraps a page of resources', () => {
    assert.deepEqual(listResponse([{ id: 'a' }], { totalResults: 10, startIndex: 3 }), {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 10,
      startIndex: 3,
      itemsPerPage: 1,
      Resources: [{ id: 'a' }],
    });
  });
});
