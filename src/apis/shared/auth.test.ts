import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseApiAccessToken, parseBearer, parseWidgetAuthorization } from './auth.js';

describe('parseWidgetAuthorization', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it('reads Basic base64(clientId:clientSecret), any case', () => {
    assert.deepEqual(parseWidgetAuthorization(`Basic ${b64('id:se:cret')}`), { clientId: 'id', secret: 'se:cret' });
    assert.deepEqual(parseWidgetAuthorization(`basic ${b64('id:s')}`), { clientId: 'id', secret: 's' });
  });
  it('reads the raw clientId:clientSecret form of page 001', () => {
    assert.deepEqual(parseWidgetAuthorization('abc:def'), { clientId: 'abc', secret: 'def' });
  });
  for (const bad of [undefined, '', 'abc', ':def', 'abc:', 'Basic', 'Basic !!!', `Basic ${b64('nocolon')}`]) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseWidgetAuthorization(bad), undefined));
  }
});

describe('parseBearer', () => {
  it('reads Bearer tokens, any case', () => {
    assert.equal(parseBearer('Bearer abc'), 'abc');
    assert.equal(parseBearer('bearer abc'), 'abc');
  });
  for (const bad of [undefined, '', 'Bearer', 'Basic abc', 'Bearer a b', 'abc']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseBearer(bad), undefined));
  }
});

describe('parseApiAccessToken', () => {
  it('reads api_access_token, or Api-Access-Token (names arrive lower-cased)', () => {
    assert.equal(parseApiAccessToken({ api_access_token: 'abc' }), 'abc');
    assert.equal(parseApiAccessToken({ 'api-access-token': ' abc ' }), 'abc');
  });
  for (const bad of [{}, { api_access_token: '' }, { api_access_token: '  ' }, { api_access_token: ['a', 'b'] }, { authorization: 'Bearer abc' }]) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseApiAccessToken(bad), undefined));
  }
});
