import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FEATURES } from '../identity/accounts.js';
import { featureFlagsOf, featuresOf } from './chatwoot-enums.js';

describe('Chatwoot feature flags', () => {
  it('reads the bits in features.yml order, the first flag the lowest bit', () => {
    assert.deepEqual(featuresOf('1'), ['inbound_emails']);
    assert.deepEqual(featuresOf('6'), ['channel_email', 'channel_facebook']);
    assert.deepEqual(featuresOf((1n << 57n).toString()), ['companies'], 'a bit past 2^53 is read exactly');
    assert.deepEqual(featuresOf(((1n << BigInt(FEATURES.length)) - 1n).toString()), FEATURES, 'every bit, in FEATURES order');
    assert.deepEqual(featuresOf((1n << BigInt(FEATURES.length)).toString()), [], 'a bit past the known flags names none');
  });

  it('round-trips a list, and reads nothing from a value that is not a number', () => {
    const names = ['agent_bots', 'campaigns', 'saml', 'quoted_email_reply'];
    assert.deepEqual(featuresOf(featureFlagsOf(names).toString()), names);
    for (const bad of ['x', '', null, '1.5']) assert.deepEqual(featuresOf(bad), []);
  });
});
