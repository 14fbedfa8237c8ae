import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkedAddresses, checkedLookup, hostOf, isPublicAddress, OutboundUrlError, parseOutboundUrl, type ResolveAll } from './outbound.js';

describe('isPublicAddress', () => {
  it('accepts public unicast addresses, IPv4 and IPv6', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e']) assert.equal(isPublicAddress(a), true, a);
  });

  it('refuses loopback, private, link-local, shared, reserved, multicast and embedded-IPv4 forms', () => {
    for (const a of [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254', // cloud metadata
      '100.64.0.1',
      '0.0.0.0',
      '255.255.255.255',
      '192.0.2.1',
      '224.0.0.1',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
      '2002:a00:1::',
      'ff02::1',
    ]) {
      assert.equal(isPublicAddress(a), false, a);
    }
  });

  it('refuses what is not an address', () => {
    for (const a of ['', 'localhost', 'example.com', '1.2.3', '999.1.1.1', 'not an ip']) assert.equal(isPublicAddress(a), false, a);
  });

  it('takes an IPv4-mapped public address for its IPv4 address', () => {
    assert.equal(isPublicAddress('::ffff:8.8.8.8'), true);
  });
});

describe('parseOutboundUrl', () => {
  it('accepts http and https URLs', () => {
    assert.equal(parseOutboundUrl('https://hooks.example.com/roster?x=1').href, 'https://hooks.example.com/roster?x=1');
    assert.equal(parseOutboundUrl('http://[2606:4700::1]:8080/').hostname, '[2606:4700::1]');
  });

  it('refuses other schemes, credentials, junk and overlong URLs', () => {
    for (const u of [
      'ftp://example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'gopher://x/',
      'https://user:pw@example.com/',
      'not a url',
      '',
      `https://example.com/${'a'.repeat(2100)}`,
    ]) {
      assert.throws(() => parseOutboundUrl(u), OutboundUrlError, u);
    }
  });

  it('hostOf strips the brackets of an IPv6 literal', () => {
    assert.equal(hostOf(new URL('http://[::1]:3000/')), '::1');
    assert.equal(hostOf(new URL('http://example.com/')), 'example.com');
  });
});

describe('checkedAddresses', () => {
  const dns =
    (answers: Record<string, string[]>): ResolveAll =>
    async (host) => {
      const a = answers[host];
      if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
  const resolve = dns({ 'public.test': ['93.184.216.34'], 'inside.test': ['10.0.0.5'], 'mixed.test': ['93.184.216.34', '127.0.0.1'] });

  it('passes a name whose every address is public', async () => {
    assert.deepEqual(await checkedAddresses('public.test', { allowPrivate: false, resolve }), [{ address: '93.184.216.34', family: 4 }]);
  });

  it('refuses a name with any private address, and address literals of private ranges', async () => {
    await assert.rejects(checkedAddresses('inside.test', { allowPrivate: false, resolve }), /10\.0\.0\.5/);
    await assert.rejects(checkedAddresses('mixed.test', { allowPrivate: false, resolve }), /127\.0\.0\.1/);
    await assert.rejects(checkedAddresses('127.0.0.1', { allowPrivate: false, resolve }), OutboundUrlError);
    await assert.rejects(checkedAddresses('::1', { allowPrivate: false, resolve }), OutboundUrlError);
    // Other spellings of loopback come out of the URL parser as the address they are.
    for (const u of ['http://0x7f.1/', 'http://2130706433/', 'http://[::ffff:7f00:1]/', 'http://[::ffff:127.0.0.1]:80/']) {
      await assert.rejects(checkedAddresses(hostOf(parseOutboundUrl(u)), { allowPrivate: false, resolve }), OutboundUrlError, u);
    }
  });

  it('refuses a name that does not resolve, whatever is allowed', async () => {
    await assert.rejects(checkedAddresses('nowhere.test', { allowPrivate: true, resolve }), /cannot resolve nowhere\.test \(ENOTFOUND\)/);
  });

  it('allows private targets when told to', async () => {
    assert.equal((await checkedAddresses('inside.test', { allowPrivate: true, resolve }))[0]!.address, '10.0.0.5');
    assert.equal((await checkedAddresses('127.0.0.1', { allowPrivate: true, resolve }))[0]!.address, '127.0.0.1');
  });

  it('checkedLookup answers with checked addresses only, one or all as asked', async () => {
    const lookup = checkedLookup({ allowPrivate: false, resolve });
    const one = await new Promise<unknown[]>((r) => lookup('public.test', {}, (...args: unknown[]) => r(args)));
    assert.deepEqual(one, [null, '93.184.216.34', 4]);
    const all = await new Promise<unknown[]>((r) => lookup('public.test', { all: true }, (...args: unknown[]) => r(args)));
    assert.deepEqual(all, [null, [{ address: '93.184.216.34', family: 4 }]]);
    const refused = await new Promise<unknown[]>((r) => lookup('mixed.test', {}, (...args: unknown[]) => r(args)));
    assert.ok(refused[0] instanceof OutboundUrlError);
  });
});
