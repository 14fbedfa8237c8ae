import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ScimError } from './errors.js';
import { resourceType, resourceTypesList, schema, schemasList, serviceProviderConfig, type AttributeDocument } from './discovery.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './schema.js';

const BASE = 'https://roster.example.com/scim/v2/';

function attribute(list: AttributeDocument[], name: string): AttributeDocument {
  const found = list.find((a) => a.name === name);
  assert.ok(found, `attribute ${name} is described`);
  return found;
}

describe('serviceProviderConfig', () => {
  it('describes what is supported, with bulk limits even when bulk is off', () => {
    const doc = serviceProviderConfig(BASE, {
      bulk: { supported: false, maxOperations: 1000, maxPayloadSize: 1_048_576 },
      filterMaxResults: 200,
      etag: true,
      patch: true,
      sort: true,
      changePassword: true,
    });
    assert.deepEqual(doc.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
    assert.deepEqual(doc.bulk, { supported: false, maxOperations: 1000, maxPayloadSize: 1_048_576 });
    assert.deepEqual(doc.filter, { supported: true, maxResults: 200 });
    assert.deepEqual(doc.patch, { supported: true });
    assert.deepEqual(doc.etag, { supported: true });
    assert.deepEqual(doc.sort, { supported: true });
    assert.deepEqual(doc.changePassword, { supported: true });
    assert.equal(doc.authenticationSchemes[0]?.type, 'oauthbearertoken');
    assert.equal(doc.authenticationSchemes[0]?.primary, true);
    assert.deepEqual(doc.meta, { resourceType: 'ServiceProviderConfig', location: 'https://roster.example.com/scim/v2/ServiceProviderConfig' });
  });

  it('follows the options it is given', () => {
    const doc = serviceProviderConfig('http://h/scim/v2', { etag: false, sort: false, changePassword: false, documentationUri: 'http://h/docs' });
    assert.deepEqual(doc.etag, { supported: false });
    assert.deepEqual(doc.sort, { supported: false });
    assert.deepEqual(doc.changePassword, { supported: false });
    assert.equal(doc.documentationUri, 'http://h/docs');
    assert.equal(typeof doc.bulk.maxOperations, 'number');
    assert.equal(typeof doc.bulk.maxPayloadSize, 'number');
  });
});

describe('resource types', () => {
  it('lists User (with the enterprise extension) and Group', () => {
    const list = resourceTypesList(BASE);
    assert.deepEqual(list.schemas, ['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
    assert.equal(list.totalResults, 2);
    assert.equal(list.itemsPerPage, 2);
    assert.equal(list.startIndex, 1);
    const [users, groups] = list.Resources;
    assert.deepEqual(users, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: 'https://roster.example.com/scim/v2/ResourceTypes/User' },
    });
    assert.equal(groups?.endpoint, '/Groups');
    assert.equal(groups?.schema, GROUP_SCHEMA);
  });

  it('gets one by id, and 404s an unknown one', () => {
    assert.equal(resourceType(BASE, 'Group').id, 'Group');
    assert.throws(
      () => resourceType(BASE, 'Device'),
      (err) => err instanceof ScimError && err.status === 404,
    );
  });
});

describe('schemas', () => {
  it('lists the User, EnterpriseUser and Group schemas', () => {
    const list = schemasList(BASE);
    assert.deepEqual(
      list.Resources.map((s) => s.id),
      [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA],
    );
    for (const s of list.Resources) {
      assert.deepEqual(s.schemas, ['urn:ietf:params:scim:schemas:core:2.0:Schema']);
      assert.equal(s.meta.location, `https://roster.example.com/scim/v2/Schemas/${s.id}`);
    }
  });

  it('describes every attribute with all the characteristics of RFC 7643 §7', () => {
    const keys = ['name', 'type', 'multiValued', 'description', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness'];
    const check = (a: AttributeDocument): void => {
      for (const k of keys) assert.ok(k in a, `${a.name} has ${k}`);
      if (a.type === 'complex') assert.ok(a.subAttributes && a.subAttributes.length > 0, `${a.name} has subAttributes`);
      for (const s of a.subAttributes ?? []) check(s);
    };
    for (const s of schemasList(BASE).Resources) for (const a of s.attributes) check(a);
  });

  it('describes the User attributes issue 12 lists', () => {
    const user = schema(BASE, USER_SCHEMA);
    assert.deepEqual(
      user.attributes.map((a) => a.name),
      ['userName', 'name', 'displayName', 'active', 'password', 'emails'],
    );
    assert.deepEqual(attribute(user.attributes, 'userName'), {
      name: 'userName',
      type: 'string',
      multiValued: false,
      description: attribute(user.attributes, 'userName').description,
      required: true,
      caseExact: false,
      mutability: 'readWrite',
      returned: 'default',
      uniqueness: 'server',
    });
    const password = attribute(user.attributes, 'password');
    assert.equal(password.mutability, 'writeOnly');
    assert.equal(password.returned, 'never');
    const emails = attribute(user.attributes, 'emails');
    assert.equal(emails.multiValued, true);
    assert.deepEqual(
      emails.subAttributes?.map((a) => a.name),
      ['value', 'type', 'primary'],
    );
    assert.equal(attribute(emails.subAttributes ?? [], 'primary').type, 'boolean');
    assert.deepEqual(
      attribute(user.attributes, 'name').subAttributes?.map((a) => a.name),
      ['formatted', 'familyName', 'givenName'],
    );
    assert.equal(attribute(user.attributes, 'active').type, 'boolean');
  });

  it('describes the enterprise extension and the Group', () => {
    const ent = schema(BASE, ENTERPRISE_USER_SCHEMA);
    assert.deepEqual(
      ent.attributes.map((a) => a.name),
      ['employeeNumber', 'department', 'manager'],
    );
    const manager = attribute(ent.attributes, 'manager');
    assert.equal(manager.type, 'complex');
    assert.deepEqual(
      manager.subAttributes?.map((a) => a.name),
      ['value', '$ref', 'displayName'],
    );
    assert.equal(attribute(manager.subAttributes ?? [], 'displayName').mutability, 'readOnly');

    const grp = schema(BASE, GROUP_SCHEMA);
    const members = attribute(grp.attributes, 'members');
    assert.equal(members.multiValued, true);
    const value = attribute(members.subAttributes ?? [], 'value');
    assert.equal(value.mutability, 'immutable');
    assert.equal(value.caseExact, true);
    assert.equal(attribute(grp.attributes, 'displayName').required, true);
  });

  it('404s an unknown schema', () => {
    assert.throws(
      () => schema(BASE, 'urn:nope'),
      (err) => err instanceof ScimError && err.status === 404,
    );
  });

  it('hands out fresh documents a caller may change', () => {
    const a = schema(BASE, USER_SCHEMA);
    a.attributes.length = 0;
    assert.equal(schema(BASE, USER_SCHEMA).attributes.length, 6);
  });
});
