/**
 * Where roster may send requests of its own (webhooks): an http(s) URL whose host resolves only to
 * public unicast addresses. Loopback, link-local, private, shared (CGNAT), multicast, reserved and
 * the IPv6 forms that embed an IPv4 address are refused unless private targets are allowed
 * (WEBHOOK_ALLOW_PRIVATE, for tests and closed networks). The address ranges are ipaddr.js's.
 *
 * Checked twice: when the URL is registered, and whenever a connection is opened to send, which goes
 * only to an address this module checked (a DNS answer that changed since, to a private address, is
 * refused; a kept connection stays with the address it was opened to).
 */
import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export class OutboundUrlError extends Error {
  override readonly name = 'OutboundUrlError';
}

export const MAX_URL_LENGTH = 2048;

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address of a host name (what dns.lookup with `all` answers). */
export type ResolveAll = (hostname: string) => Promise<ResolvedAddress[]>;

export const resolveAll: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

/** An http: or https: URL with a host and no credentials in it, at most MAX_URL_LENGTH characters. */
export function parseOutboundUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) throw new OutboundUrlError(`the URL must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundUrlError('not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundUrlError('the URL must be https: or http:');
  if (url.hostname === '') throw new OutboundUrlError('the URL has no host');
  if (url.username !== '' || url.password !== '') throw new OutboundUrlError('the URL must not carry credentials (user:password@)');
  return url;
}

/** The host of a URL as DNS and isIP know it: an IPv6 literal without its brackets. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** True for a public unicast address; false for anything else, and for what is not an address. */
export function isPublicAddress(address: string): boolean {
  // net.isIP, not ipaddr.isValid: only the canonical forms a resolver answers (no "1.2.3" or octal).
  if (isIP(address) === 0) return false;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  return ip.range() === 'unicast';
}

/**
 * The host's addresses when every one of them may be sent to (with `allowPrivate`, any); an
 * OutboundUrlError when one may not, or the name does not resolve.
 */
export async function checkedAddresses(hostname: string, opts: { allowPrivate: boolean; resolve?: ResolveAll }): Promise<ResolvedAddress[]> {
  const family = isIP(hostname);
  let addresses: ResolvedAddress[];
  if (family !== 0) addresses = [{ address: hostname, family }];
  else {
    try {
      addresses = await (opts.resolve ?? resolveAll)(hostname);
    } catch (err) {
      throw new OutboundUrlError(`cannot resolve ${hostname} (${(err as { code?: string }).code ?? (err as Error).message})`);
    }
  }
  if (addresses.length === 0) throw new OutboundUrlError(`${hostname} has no address`);
  if (!opts.allowPrivate) {
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) {
      throw new OutboundUrlError(
        `${hostname} resolves to ${refused.address}, a loopback, link-local, private or reserved address (WEBHOOK_ALLOW_PRIVATE=true allows it)`,
      );
    }
  }
  return addresses;
}

/**
 * A `lookup` for http.request that connects only to checked addresses: it resolves the name itself,
 * checks every address, and answers with them (as one address or all, as asked).
 */
export function checkedLookup(opts: { allowPrivate: boolean; resolve?: ResolveAll }): LookupFunction {
  return (hostname, options, callback) => {
    checkedAddresses(hostname, opts).then(
      (addresses) => {
        if (options.all) (callback as (err: null, addresses: ResolvedAddress[]) => void)(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
    );
  };
}
