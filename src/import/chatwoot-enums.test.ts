import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHATWOOT_FEATURE_BITS, CHATWOOT_LOCALES, featureFlagsOf, featuresOf } from './chatwoot-enums.js';

describe('Chatwoot feature flags', () => {
  it('reads the bits in features.yml order, the first flag the lowest bit', () => {
    assert.deepEqual(featuresOf('1'), ['inbound_emails']);
    assert.deepEqual(featuresOf('6'), ['channel_email', 'channel_facebook']);
    assert.equal(CHATWOOT_FEATURE_BITS.length, 58);
    assert.deepEqual(featuresOf((1n << 57n).toString()), ['companies'], 'a bit past 2^53 is read exactly');
  });

  it('round-trips a list, and reads nothing from a value that is not a number', () => {
    const names = ['agent_bots', 'campaigns', 'saml', 'quoted_email_reply'];
    assert.deepEqual(featuresOf(featureFlagsOf(names).toString()), names);
    for (const bad of ['x', '', null, '1.5']) assert.deepEqual(featuresOf(bad), []);
  });
});

describe('Chatwoot locales', () => {
  it('maps the enum index to the code (LANGUAGES_CONFIG order)', () => {
    assert.equal(CHATWOOT_LOCALES[0], 'en');
    assert.equal(CHATWOOT_LOCALES[12], 'es');
    assert.equal(CHATWOOT_LOCALES[16], 'pt_BR');
    assert.equal(CHATWOOT_LOCALES[40], 'bg');
    assert.equal(CHATWOOT_LOCALES.length, 41);
  });
});
