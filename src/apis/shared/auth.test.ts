import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { anyText } from '../../../test/fixtures/arbitraries.js';
import { formatToken, parseToken } from '../../identity/secrets.js';
import { parseApiAccessToken, parseBearer, parseWidgetAuthorization, tokenIdOf } from './auth.js';

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

describe('credential parsers, property-based (issue 9, point 12)', () => {
  const text = anyText(80);
  it('never throw, whatever the header', () => {
    fc.assert(
      fc.property(fc.option(text, { nil: undefined }), (h) => {
        const w = parseWidgetAuthorization(h);
        if (w) assert.ok(w.clientId.length > 0 && w.secret.length > 0 && !w.clientId.includes(':'));
        const b = parseBearer(h);
        if (b !== undefined) assert.match(b, /^\S+$/);
        tokenIdOf(h ?? '');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.dictionary(text, fc.oneof(text, fc.array(text), fc.constant(undefined))), (headers) => {
        const t = parseApiAccessToken(headers);
        if (t !== undefined) assert.ok(t.length > 0 && t === t.trim());
      }),
    );
  });
  it('read back what a client sends: Basic base64(id:secret), the raw pair, Bearer <token>', () => {
    const id = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes(':') && s.trim() === s && !/\s/.test(s));
    const secret = fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s.trim() === s && !/^\s|\s$/.test(s) && s.length > 0);
    fc.assert(
      fc.property(id, secret, (clientId, s) => {
        const basic = parseWidgetAuthorization(`Basic ${Buffer.from(`${clientId}:${s}`).toString('base64')}`);
        assert.deepEqual(basic, { clientId, secret: s });
        if (!/^basic\s/i.test(`${clientId}:${s}`)) assert.deepEqual(parseWidgetAuthorization(`${clientId}:${s}`), { clientId, secret: s });
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._~+/=-]{1,80}$/), (token) => {
        assert.equal(parseBearer(`Bearer ${token}`), token);
        assert.equal(parseBearer(`bearer  ${token} `), token);
      }),
    );
  });
  it('round-trip tokens: parseToken(formatToken(p, id, s)) and tokenIdOf', () => {
    const hex16 = fc.stringMatching(/^[0-9a-f]{16}$/);
    const secret43 = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);
    fc.assert(
      fc.property(fc.constantFrom('rtk', 'rpa'), hex16, secret43, (prefix, id, s) => {
        const token = formatToken(prefix, id, s);
        assert.deepEqual(parseToken(prefix, token), { id, secret: s });
        assert.equal(parseToken(prefix === 'rtk' ? 'rpa' : 'rtk', token), undefined);
        assert.equal(tokenIdOf(token), id);
      }),
    );
    fc.assert(fc.property(fc.constantFrom('rtk', 'rpa'), text, (prefix, t) => void parseToken(prefix, t)));
  });
});
