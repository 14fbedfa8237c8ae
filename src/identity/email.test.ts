import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { anyText } from '../../test/fixtures/arbitraries.js';
import { isValidEmail, normalizeEmail } from './email.js';

describe('emails', () => {
  it('normalizes by trimming and lower-casing', () => {
    assert.equal(normalizeEmail('  Juan.Perez@Example.COM \n'), 'juan.perez@example.com');
  });
  it('normalizes to Unicode NFC: a composed and a decomposed accent are one address', () => {
    assert.equal(normalizeEmail('Jos\u00c9@example.com'), 'jos\u00e9@example.com');
    assert.equal(normalizeEmail('JOSE\u0301@example.com'), 'jos\u00e9@example.com');
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

describe('the email normaliser and validator, property-based (issue 9, point 12)', () => {
  it('never throw; normalizing is idempotent, trims, and ignores ASCII case', () => {
    fc.assert(
      fc.property(anyText(300), (raw) => {
        const n = normalizeEmail(raw);
        assert.equal(normalizeEmail(n), n);
        assert.equal(n, n.trim());
        assert.equal(normalizeEmail(raw.replace(/[a-z]/g, (c) => c.toUpperCase())), n, 'ASCII case does not matter');
        const valid = isValidEmail(n);
        if (valid) {
          assert.ok(n.length <= 254 && n.includes('@'));
          assert.ok(n.isWellFormed(), 'a valid email is well-formed text');
        }
      }),
      { numRuns: 3000 },
    );
  });
  it('maps ASCII case variants of an address to one stored address', () => {
    const local = fc.stringMatching(/^[a-zA-Z0-9._%+-]{1,64}$/);
    const domain = fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?\.[a-zA-Z]{2,8}$/);
    fc.assert(
      fc.property(local, domain, fc.constantFrom('', ' ', '\t', '\n'), (l, d, pad) => {
        const email = `${l}@${d}`;
        assert.equal(normalizeEmail(`${pad}${email.toUpperCase()}${pad}`), normalizeEmail(email.toLowerCase()));
        assert.equal(isValidEmail(normalizeEmail(email)), true, email);
      }),
    );
  });
  it('refuses an address that is not well-formed text (a lone surrogate anywhere)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{0,10}$/), fc.integer({ min: 0xd800, max: 0xdfff }), fc.stringMatching(/^[a-z]{0,10}$/), (a, unit, b) => {
        assert.equal(isValidEmail(normalizeEmail(`${a}${String.fromCharCode(unit)}${b}@example.com`)), false);
      }),
    );
  });
  it('refuses any address with a control character, a space or a second @ in the local part', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,10}$/), fc.constantFrom('\u0000', '\u001f', '\u007f', ' ', '@', '"', '\\', '\t'), (l, bad) => {
        assert.equal(isValidEmail(`${l}${bad}x@example.com`), false);
      }),
    );
  });
});
