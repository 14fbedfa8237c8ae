import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
    ]) {
      const url = `/api/user/verify-email?a=1&${name}=${TOKEN}&b=2`;
      const out = redactUrlSecrets(url);
      assert.ok(!out.includes(TOKEN), `${name}: ${out}`);
      assert.equal(out, `/api/user/verify-email?a=1&${name}=[REDACTED]&b=2`);
    }
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
