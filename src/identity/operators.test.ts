import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPassword } from './passwords.js';
import { generateOperatorPassword, OPERATOR_PASSWORD_POLICY } from './operators.js';

describe('generateOperatorPassword', () => {
  it('draws again when a random password breaks the policy (it contains the email local part, or is short)', () => {
    const draws = ['xxgenxxxxxxxxxxxxxxxxxxx', 'short', 'Jq8-vW2_pL5zR0aT7mYc3bNe'];
    const password = generateOperatorPassword('gen@example.com', () => draws.shift()!);
    assert.equal(password, 'Jq8-vW2_pL5zR0aT7mYc3bNe');
    assert.equal(draws.length, 0);
  });

  it('gives 24 base64url characters the operator policy accepts', () => {
    for (let i = 0; i < 200; i++) {
      const password = generateOperatorPassword('ab1@example.com');
      assert.match(password, /^[A-Za-z0-9_-]{24}$/);
      assert.equal(checkPassword(password, 'ab1@example.com', OPERATOR_PASSWORD_POLICY), undefined);
    }
  });
});
