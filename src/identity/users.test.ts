import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidEmail, normalizeEmail } from './users.js';

describe('emails', () => {
  it('normalizes by trimming and lower-casing', () => {
    assert.equal(normalizeEmail('  Juan.Perez@Example.COM \n'), 'juan.perez@example.com');
  });
  for (const ok of ['a@b.co', 'dev+testing@chatwoot.com', 'x_y-z@sub.domain.example', "o'neil@example.ie"]) {
    it(`accepts ${ok}`, () => assert.equal(isValidEmail(ok), true));
  }
  for (const bad of [
    '',
    'plain',
    '@example.com',
    'a@',
    'a@b',
    'a b@example.com',
    'a@@b.com',
    'a@b..com',
    'a@-b.com',
    `${'x'.repeat(65)}@b.com`,
    `a@${'b'.repeat(250)}.com`,
    'a\u0000@b.com',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(isValidEmail(bad), false));
  }
});
