import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { anyText } from '../../test/fixtures/arbitraries.js';
import { DomainError } from './errors.js';
import { checkOrigins, normalizeOrigin } from './cors-origins.js';

describe('normalizeOrigin', () => {
  it('keeps scheme://host[:port], lower-cased, without the default port', () => {
    assert.equal(normalizeOrigin('HTTPS://Shop.Example.COM:443'), 'https://shop.example.com');
    assert.equal(normalizeOrigin('http://localhost:8080/'), 'http://localhost:8080');
    assert.equal(normalizeOrigin('https://bücher.example'), 'https://xn--bcher-kva.example');
  });
  for (const bad of [
    '',
    'null',
    '*',
    'https://x.test/path',
    'https://x.test?q',
    'https://x.test#f',
    'ftp://x.test',
    'https://u@x.test',
    'x.test',
    'https:\\\\x.test',
    'javascript:alert(1)',
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(normalizeOrigin(bad), undefined));
  }
});

describe('origins, property-based (issue 9, point 12)', () => {
  it('never throws; a normalized origin is an http(s) origin that normalizes to itself', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText(80),
          fc.webUrl(),
          fc.webUrl().map((u) => new URL(u).origin),
        ),
        (raw) => {
          const o = normalizeOrigin(raw);
          if (o === undefined) return;
          assert.match(o, /^https?:\/\/[^/?#@\s]+$/);
          assert.equal(normalizeOrigin(o), o);
          assert.equal(new URL(o).origin, o);
        },
      ),
      { numRuns: 3000 },
    );
  });
  it('accepts what browsers send as Origin', () => {
    fc.assert(
      fc.property(fc.webUrl({ validSchemes: ['http', 'https'] }), (url) => {
        const origin = new URL(url).origin;
        if (origin === 'null') return;
        assert.equal(normalizeOrigin(origin), origin);
      }),
      { numRuns: 1000 },
    );
  });
  it('checkOrigins throws nothing but a typed error', () => {
    fc.assert(
      fc.property(fc.array(anyText(40), { maxLength: 4 }), (list) => {
        try {
          checkOrigins(list);
        } catch (err) {
          assert.ok(err instanceof DomainError && err.kind === 'invalid');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
