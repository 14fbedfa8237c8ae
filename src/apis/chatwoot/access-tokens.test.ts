import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_BOT_TOKEN_PREFIX, mintToken, USER_TOKEN_PREFIX } from './access-tokens.js';
import { parseToken, secretMatches } from '../../identity/secrets.js';

describe('access tokens', () => {
  it('look like platform app tokens with their own prefix, and keep only a digest', () => {
    for (const prefix of [USER_TOKEN_PREFIX, AGENT_BOT_TOKEN_PREFIX]) {
      const t = mintToken(prefix);
      const parsed = parseToken(prefix, t.token);
      assert.ok(parsed);
      assert.equal(parsed.id, t.id);
      assert.match(t.digest, /^[0-9a-f]{64}$/);
      assert.ok(!t.digest.includes(parsed.secret));
      assert.equal(secretMatches(parsed.secret, t.digest), true);
      assert.equal(parseToken('rpa', t.token), undefined, 'never a platform app token');
    }
    assert.notEqual(mintToken(USER_TOKEN_PREFIX).token, mintToken(USER_TOKEN_PREFIX).token);
  });
});
