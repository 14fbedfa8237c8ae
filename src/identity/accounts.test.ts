import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FEATURES, LOCALES } from './accounts.js';

// Chatwoot stores positions in these tables (a locale's index, a flag's bit), so their order is
// part of the data: these pin it to Chatwoot 4.8.
describe('the Chatwoot 4.8 account tables', () => {
  it('feature flags: every flag of features.yml once, in its order (flag i is bit i)', () => {
    assert.equal(FEATURES.length, 58);
    assert.equal(new Set(FEATURES).size, FEATURES.length);
    assert.deepEqual(FEATURES.slice(0, 3), ['inbound_emails', 'channel_email', 'channel_facebook']);
    assert.equal(FEATURES.indexOf('campaigns'), 21);
    assert.equal(FEATURES.indexOf('saml'), 53);
    assert.equal(FEATURES.at(-1), 'companies');
  });

  it('locales: LANGUAGES_CONFIG codes once each, the stored index mapping to the code', () => {
    assert.equal(LOCALES.length, 41);
    assert.equal(new Set(LOCALES).size, LOCALES.length);
    assert.equal(LOCALES[0], 'en');
    assert.equal(LOCALES[5], 'hi');
    assert.equal(LOCALES[11], 'zh');
    assert.equal(LOCALES[12], 'es');
    assert.equal(LOCALES[16], 'pt_BR');
    assert.equal(LOCALES[40], 'bg');
    for (const l of ['fr', 'de', 'zh_CN', 'zh_TW']) assert.ok((LOCALES as readonly string[]).includes(l), l);
  });
});
