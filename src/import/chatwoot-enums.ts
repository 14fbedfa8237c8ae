/**
 * How a Chatwoot database stores what roster keeps as names: Rails enums as integers, feature flags
 * as the bits of one bigint. Read from Chatwoot 4.8 (db/schema.rb, app/models/account_user.rb,
 * config/initializers/languages.rb, config/features.yml; see /work/notes/chatwoot-r2.md). The locale
 * and feature-flag tables are the accounts' own, kept once in identity/accounts.ts (LOCALES, an
 * index per stored `locale`; FEATURES, a bit per flag).
 */
import { FEATURES } from '../identity/accounts.js';

/** `AccountUser` `enum :role, { agent: 0, administrator: 1 }`. */
export const CHATWOOT_ROLES: Readonly<Record<number, 'agent' | 'administrator'>> = { 0: 'agent', 1: 'administrator' };

/** `enum :availability, { online: 0, offline: 1, busy: 2 }` (account_users and users). */
export const CHATWOOT_AVAILABILITY: Readonly<Record<number, 'online' | 'offline' | 'busy'>> = { 0: 'online', 1: 'offline', 2: 'busy' };

/** `Account` `enum :status, { active: 0, suspended: 1 }`. */
export const CHATWOOT_STATUSES: Readonly<Record<number, 'active' | 'suspended'>> = { 0: 'active', 1: 'suspended' };

/**
 * The enabled flags of a feature_flags value (decimal text of a bigint), in bit order: FlagShihTzu
 * bits in config/features.yml order (FEATURES), the first flag the lowest bit (value 1). roster's
 * accounts show the flags they know of and keep the rest.
 */
export function featuresOf(flags: string | number | bigint | null): string[] {
  let bits: bigint;
  try {
    bits = BigInt(flags ?? 0);
  } catch {
    return [];
  }
  return FEATURES.filter((_, i) => (bits >> BigInt(i)) & 1n);
}

/** The feature_flags value of a list of flags (for tests and fixtures). */
export function featureFlagsOf(names: readonly string[]): bigint {
  let bits = 0n;
  for (const name of names) {
    const i = FEATURES.indexOf(name);
    if (i >= 0) bits |= 1n << BigInt(i);
  }
  return bits;
}
