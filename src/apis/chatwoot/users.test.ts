import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatwootPasswordErrors, PASSWORD_SPECIALS } from './users.js';

describe("Chatwoot's password rules", () => {
  it('accept 6-128 characters with an uppercase, a lowercase, a digit and a special character', () => {
    assert.deepEqual(chatwootPasswordErrors('Aa1!aa'), []);
    assert.deepEqual(chatwootPasswordErrors(`Aa1!${'x'.repeat(124)}`), []);
    assert.deepEqual(chatwootPasswordErrors('Aa1 aa'), [], 'a space is special');
  });

  it('accept each documented special character', () => {
    for (const c of PASSWORD_SPECIALS) assert.deepEqual(chatwootPasswordErrors(`Aa1aa${c}`), [], JSON.stringify(c));
    assert.ok(PASSWORD_SPECIALS.includes('`') && PASSWORD_SPECIALS.includes("'") && PASSWORD_SPECIALS.includes('\\'));
  });

  it('name every rule broken', () => {
    assert.deepEqual(chatwootPasswordErrors('Aa1!'), ['is too short (minimum is 6 characters)']);
    assert.deepEqual(chatwootPasswordErrors(`Aa1!${'x'.repeat(125)}`), ['is too long (maximum is 128 characters)']);
    assert.deepEqual(chatwootPasswordErrors('abcdefgh'), [
      'must contain at least one uppercase letter',
      'must contain at least one digit',
      'must contain at least one special character',
    ]);
    assert.deepEqual(chatwootPasswordErrors('ABCDEFG1!'), ['must contain at least one lowercase letter']);
    assert.deepEqual(chatwootPasswordErrors('Abcdefgh1é'), ['must contain at least one special character'], 'a letter outside ASCII is not special');
  });

  it('count characters, not UTF-16 units', () => {
    assert.deepEqual(chatwootPasswordErrors('A1!😀😀'), ['is too short (minimum is 6 characters)', 'must contain at least one lowercase letter']);
  });
});
