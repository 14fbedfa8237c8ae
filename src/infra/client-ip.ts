/**
 * The key a client address is rate-limited under. An IPv6 client usually holds a whole /64, so
 * limiting single IPv6 addresses would let it rotate through billions: its /64 is the key.
 * IPv4 (and IPv4-mapped IPv6) addresses are keyed as themselves.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function rateLimitKeyForIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head = '', tail] = ip.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
