/**
 * Random identifiers and API secrets. Secrets are 256-bit random values, stored only as SHA-256
 * digests and compared in constant time.
 */
import { hash, randomUUID, timingSafeEqual } from 'node:crypto';
import { secureRandomString } from '../infra/random.js';

export const newUuid = (): string => randomUUID();

/** 24 lowercase hex characters, like a MongoDB ObjectId: 4-byte seconds, then 8 random bytes. */
export function newObjectId(now = Date.now()): string {
  const time = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  return time + secureRandomString(8, 'hex');
}

/** 256 random bits, base64url (43 characters: letters, digits, '-' and '_'). */
export const newSecret = (): string => secureRandomString(32, 'base64url');

/** A short public id: 16 hex characters. */
export const newPublicId = (): string => secureRandomString(8, 'hex');

/** SHA-256, hex. One-shot `hash`: no Hash object per call (a credential is checked on every request). */
export const digest = (secret: string): string => hash('sha256', secret, 'hex');

/** Constant-time comparison of a presented secret with a stored digest. */
export function secretMatches(secret: string, storedDigest: string): boolean {
  const a = hash('sha256', secret, 'buffer');
  const b = Buffer.from(storedDigest, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A bearer token carries its credential id, so the store is asked for one row by primary key and
 * the secret is compared in constant time: `<prefix>_<16 hex id>.<secret>`.
 */
export function formatToken(prefix: string, id: string, secret: string): string {
  return `${prefix}_${id}.${secret}`;
}

export function parseToken(prefix: string, token: string): { id: string; secret: string } | undefined {
  const m = /^([a-z]+)_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m || m[1] !== prefix) return undefined;
  return { id: m[2]!, secret: m[3]! };
}
