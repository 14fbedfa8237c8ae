import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rateLimitKeyForIp } from './client-ip.js';

describe('rateLimitKeyForIp', () => {
  it('keys IPv4 and IPv4-mapped addresses as themselves', () => {
    assert.equal(rateLimitKeyForIp('203.0.113.7'), '203.0.113.7');
    assert.equal(rateLimitKeyForIp('::ffff:203.0.113.7'), '203.0.113.7');
  });
  it('keys IPv6 addresses by their /64', () => {
    assert.equal(rateLimitKeyForIp('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(rateLimitKeyForIp('2001:db8:1:2::9'), '2001:db8:1:2::/64');
    assert.equal(rateLimitKeyForIp('2001:DB8:0001:0002:ffff::1'), '2001:db8:1:2::/64');
    assert.equal(rateLimitKeyForIp('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(rateLimitKeyForIp('::1'), '0:0:0:0::/64');
    assert.equal(rateLimitKeyForIp('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });
  it('leaves anything else alone', () => {
    assert.equal(rateLimitKeyForIp('unknown'), 'unknown');
  });
});
