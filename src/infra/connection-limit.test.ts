import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trustedPeers } from './connection-limit.js';

describe('trustedPeers (who the per-address connection cap leaves alone)', () => {
  it('exempts nobody without TRUST_PROXY, and everybody with a hop count or true', () => {
    const none = trustedPeers(false);
    assert.notEqual(none, 'all');
    if (none !== 'all') assert.equal(none('10.0.0.1'), false);
    assert.equal(trustedPeers(1), 'all');
    assert.equal(trustedPeers(true), 'all');
    const zero = trustedPeers(0);
    assert.ok(zero !== 'all' && zero('127.0.0.1') === false);
  });
  it('exempts the listed proxies: addresses and CIDR ranges, IPv4-mapped IPv6 included', () => {
    const trusted = trustedPeers(['10.0.0.0/8', '127.0.0.1', 'fd00::/8']);
    assert.notEqual(trusted, 'all');
    if (trusted === 'all') return;
    for (const a of ['10.1.2.3', '::ffff:10.9.9.9', '127.0.0.1', 'fd12::1']) assert.equal(trusted(a), true, a);
    for (const a of ['11.0.0.1', '127.0.0.2', '::1', '2001:db8::1', 'not an address']) assert.equal(trusted(a), false, a);
  });
});
