/**
 * A cap on the connections one client address holds open at once (an IPv6 client: its /64, see
 * client-ip.ts), so one client cannot take every socket with slow or idle connections. A connection
 * over the cap is closed as it opens, before any byte of a request is read.
 *
 * Behind a load balancer every connection comes from the balancer: peers that TRUST_PROXY trusts
 * are not capped (a hop count or `true` trusts any peer, so then nothing is capped; the balancer
 * is where to cap clients).
 */
import { BlockList, isIPv4, isIPv6, type Server, type Socket } from 'node:net';
import { rateLimitKeyForIp } from './client-ip.js';

export interface ConnectionLimitOptions {
  /** Open connections per address; 0 = no cap. */
  max: number;
  /** As config.trustProxy: these peers are not capped. */
  trustProxy: boolean | number | string[];
  /** Told of each refused connection. */
  onRefused?: (address: string) => void;
}

/** Which peers are exempt: every one, none, or those in the list (addresses and CIDR ranges). */
export function trustedPeers(trustProxy: boolean | number | string[]): ((address: string) => boolean) | 'all' {
  if (trustProxy === true || typeof trustProxy === 'number') return trustProxy === 0 ? () => false : 'all';
  if (trustProxy === false || trustProxy.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of trustProxy) {
    const [address = '', bits] = entry.split('/');
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    if (!family) continue;
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (address) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const a = mapped ?? address;
    return list.check(a, isIPv4(a) ? 'ipv4' : 'ipv6');
  };
}

/** Counts the open connections of `server` per client address and closes those over the cap. */
export function limitConnectionsPerAddress(server: Server, opts: ConnectionLimitOptions): void {
  if (opts.max <= 0) return;
  const exempt = trustedPeers(opts.trustProxy);
  if (exempt === 'all') return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (!address || exempt(address)) return;
    const key = rateLimitKeyForIp(address);
    const count = (open.get(key) ?? 0) + 1;
    if (count > opts.max) {
      socket.destroy();
      opts.onRefused?.(address);
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
  });
}
