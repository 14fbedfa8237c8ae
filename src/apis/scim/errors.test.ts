import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  invalidFilter,
  invalidPath,
  invalidSyntax,
  invalidValue,
  mutability,
  noTarget,
  notFound,
  payloadTooLarge,
  preconditionFailed,
  ScimError,
  scimErrorBody,
  tooMany,
  uniqueness,
} from './errors.js';

describe('ScimError', () => {
  it('is an Error carrying status, scimType and detail', () => {
    const err = invalidFilter('bad filter');
    assert.ok(err instanceof Error);
    assert.ok(err instanceof ScimError);
    assert.equal(err.status, 400);
    assert.equal(err.scimType, 'invalidFilter');
    assert.equal(err.detail, 'bad filter');
    assert.equal(err.message, 'bad filter');
  });

  it('helpers use the statuses and scimTypes of RFC 7644 §3.12', () => {
    const cases: [ScimError, number, string | undefined][] = [
      [invalidFilter('x'), 400, 'invalidFilter'],
      [invalidValue('x'), 400, 'invalidValue'],
      [invalidPath('x'), 400, 'invalidPath'],
      [noTarget('x'), 400, 'noTarget'],
      [invalidSyntax('x'), 400, 'invalidSyntax'],
      [mutability('x'), 400, 'mutability'],
      [tooMany('x'), 400, 'tooMany'],
      [uniqueness('x'), 409, 'uniqueness'],
      [notFound('x'), 404, undefined],
      [preconditionFailed('x'), 412, undefined],
      [payloadTooLarge('x'), 413, undefined],
    ];
    for (const [err, status, scimType] of cases) {
      assert.equal(err.status, status);
      assert.equal(err.scimType, scimType);
    }
  });
});

describe('scimErrorBody', () => {
  it('gives the SCIM error message with the status as a string', () => {
    assert.deepEqual(scimErrorBody(uniqueness('userName taken')), {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '409',
      scimType: 'uniqueness',
      detail: 'userName taken',
    });
  });

  it('leaves scimType out when there is none', () => {
    const body = scimErrorBody(notFound('no such user'));
    assert.deepEqual(body, { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404', detail: 'no such user' });
    assert.equal('scimType' in body, false);
  });
});
