import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { anyText } from '../../test/fixtures/arbitraries.js';
import { queryParamName, redactUrlSecrets } from './logging.js';

const TOKEN = 'Zm9vYmFyLXNlY3JldC10b2tlbi1vZi00My1jaGFycy1sb25n';

describe('redactUrlSecrets (issue 9, point 9)', () => {
  it('redacts secret parameters however their names are spelled', () => {
    for (const name of [
      'token',
      'TOKEN',
      '%74oken',
      'to%6Ben',
      '%2574oken',
      'token[]',
      'token[0]',
      'tok%65n%5B%5D',
      'sso_auth_token',
      'verificationId',
      'password',
      'code',
      'client_secret',
      'pubsub_token',
      'refresh_token',
      'api_key',
    ]) {
      const url = `/api/user/verify-email?a=1&${name}=${TOKEN}&b=2`;
      const out = redactUrlSecrets(url);
      assert.ok(!out.includes(TOKEN), `${name}: ${out}`);
      assert.equal(out, `/api/user/verify-email?a=1&${name}=[REDACTED]&b=2`);
    }
  });
  it('redacts a SCIM filter that names the password attribute, however it is escaped, and no other filter', () => {
    for (const filter of ['password eq "hunter2-secret"', 'PassWord%20eq%20%22hunter2-secret%22', 'userName eq "a" or %70assword eq "hunter2-secret"']) {
      const out = redactUrlSecrets(`/scim/v2/Users?startIndex=1&filter=${filter.replace(/ /g, '+')}`);
      assert.equal(out, '/scim/v2/Users?startIndex=1&filter=[REDACTED]');
    }
    const plain = '/scim/v2/Users?filter=userName+eq+%22ada%40example.com%22&count=5';
    assert.equal(redactUrlSecrets(plain), plain);
  });
  it('leaves other parameters and URLs without a query as they are', () => {
    for (const url of ['/healthz', '/api/user/email?email=a%40b.com', '/x?tokens=1&mytoken=2&=3&token', '/x?%ZZ=1']) assert.equal(redactUrlSecrets(url), url);
  });
  it('reads names as the query parser does', () => {
    assert.equal(queryParamName('%74oken'), 'token');
    assert.equal(queryParamName('Token%5B%5D'), 'token');
    assert.equal(queryParamName('a+b'), 'a b');
    assert.equal(queryParamName('%E0%A4%A'), '%e0%a4%a');
  });
});

describe('redactUrlSecrets, property-based (issue 9, point 12)', () => {
  const secretName = fc.constantFrom('token', 'sso_auth_token', 'access_token', 'password', 'code', 'verificationId', 'secret');
  /** A name spelled another way the query parser reads the same: case, percent escapes, brackets. */
  const spelled = fc
    .tuple(secretName, fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }), fc.constantFrom('', '[]', '[0]', '%5B%5D'))
    .map(
      ([name, flips, suffix]) =>
        [...name].map((c, i) => (flips[i] ? `%${c.charCodeAt(0).toString(16).padStart(2, '0')}` : i % 2 ? c.toUpperCase() : c)).join('') + suffix,
    );
  const value = fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/);
  const other = fc
    .tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z0-9]{0,8}$/))
    .filter(([k]) => !['token', 'password', 'code', 'secret'].includes(k));
  it('never lets a secret value through, however its name is spelled or placed', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^(\/[a-z-]{1,12}){1,3}$/),
        fc.array(other, { maxLength: 3 }),
        spelled,
        value,
        fc.array(other, { maxLength: 3 }),
        (path, pre, name, v, post) => {
          const pairs = [...pre.map(([k, x]) => `${k}=${x}`), `${name}=${v}`, ...post.map(([k, x]) => `${k}=${x}`)];
          const out = redactUrlSecrets(`${path}?${pairs.join('&')}`);
          assert.ok(!out.includes(v), out);
          assert.equal(redactUrlSecrets(out), out, 'idempotent');
          for (const [k, x] of [...pre, ...post]) assert.ok(out.includes(`${k}=${x}`), 'others are kept');
        },
      ),
      { numRuns: 2000 },
    );
  });
  it('never throws', () => {
    fc.assert(
      fc.property(anyText(120), (url) => void redactUrlSecrets(url)),
      { numRuns: 2000 },
    );
  });
});
