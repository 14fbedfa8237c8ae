/**
 * Password policy and hashing. New hashes are argon2id at ROSTER_ARGON2 (OWASP's minimum: m=19 MiB,
 * t=2, p=1; defined once, in password-hashes.ts), computed on libuv's thread pool by
 * @node-rs/argon2, never on the event loop. Hash before a transaction opens, not inside it.
 * Verification accepts every stored format password-hashes.ts accepts (roster's own argon2id and
 * the imported bcrypt, argon2i, scrypt and Django pbkdf2 hashes).
 */
import { hash } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { needsRehash, ROSTER_ARGON2, verifyPassword as verifyStoredHash } from './password-hashes.js';

export { needsRehash };

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
  /** Refuse the ~49,000 most common passwords (zxcvbn-ts's list), compared case-insensitively. */
  rejectCommon: boolean;
  /** Refuse a password that contains the email's local part (when it is 3+ characters). */
  rejectEmailLocalPart: boolean;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  minLength: 8,
  maxLength: 128,
  rejectCommon: true,
  rejectEmailLocalPart: true,
};

export type PasswordRule = 'TOO_SHORT' | 'TOO_LONG' | 'COMMON' | 'CONTAINS_EMAIL';

export interface PasswordViolation {
  rule: PasswordRule;
  message: string;
}

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

export const COMMON_PASSWORD_COUNT = (): number => commonPasswords().size;

/** Characters, not UTF-16 units: an emoji counts once. */
const length = (s: string) => [...s].length;

/** The first rule the password breaks, or undefined when it passes. */
export function checkPassword(password: string, email: string | undefined, policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): PasswordViolation | undefined {
  const n = length(password);
  if (n < policy.minLength) return { rule: 'TOO_SHORT', message: `must be at least ${policy.minLength} characters` };
  if (n > policy.maxLength) return { rule: 'TOO_LONG', message: `must be at most ${policy.maxLength} characters` };
  const lower = password.toLowerCase();
  if (policy.rejectCommon && commonPasswords().has(lower)) {
    return { rule: 'COMMON', message: 'is one of the most common passwords; choose another' };
  }
  if (policy.rejectEmailLocalPart && email) {
    const local = email.trim().toLowerCase().split('@')[0] ?? '';
    if (local.length >= 3 && lower.includes(local)) return { rule: 'CONTAINS_EMAIL', message: 'must not contain the email address' };
  }
  return undefined;
}

/** Parses a company's stored policy override, falling back to the default for missing keys. */
export function parsePolicy(json: string | null): PasswordPolicy {
  if (!json) return DEFAULT_PASSWORD_POLICY;
  try {
    const o = JSON.parse(json) as Partial<PasswordPolicy>;
    return { ...DEFAULT_PASSWORD_POLICY, ...o };
  } catch {
    return DEFAULT_PASSWORD_POLICY;
  }
}

/**
 * How many password hashes and verifications this process runs at once: one core fewer than the
 * machine has (at least one), so that a flood of sign-ups or logins cannot take every core from the
 * event loop that serves every other request (issue 15). The rest wait their turn, in order.
 * PASSWORD_HASH_CONCURRENCY sets it (main.ts).
 */
export const DEFAULT_PASSWORD_HASH_CONCURRENCY = Math.max(1, availableParallelism() - 1);
const hashing = pLimit(DEFAULT_PASSWORD_HASH_CONCURRENCY);

export function setPasswordHashConcurrency(n: number): void {
  hashing.concurrency = n;
}

/** Hashes and verifications running now, and waiting for a turn. */
export const passwordHashLoad = (): { running: number; waiting: number; concurrency: number } => ({
  running: hashing.activeCount,
  waiting: hashing.pendingCount,
  concurrency: hashing.concurrency,
});

export function hashPassword(password: string): Promise<string> {
  return hashing(() => hash(password, ROSTER_ARGON2));
}

let verifications = 0;
/** Password verifications run by this process (a metric: a login costs one, whether or not the user exists). */
export const passwordVerifications = (): number => verifications;

/**
 * True when the password matches the stored hash, in any accepted format. False for a wrong
 * password and for a stored hash that does not parse (HashFormatError): to a login that is a
 * failed login, never an error.
 */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  verifications++;
  try {
    return await hashing(() => verifyStoredHash(storedHash, password));
  } catch {
    // verifyStoredHash rejects only with HashFormatError.
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * Spends the same time as a real verification, for an unknown email, so that a login cannot tell
 * "no such user" from "wrong password" by its timing.
 */
export async function verifyDummy(password: string): Promise<false> {
  dummy ??= hashPassword('roster-dummy-password-for-timing');
  await verifyPassword(await dummy, password);
  return false;
}
