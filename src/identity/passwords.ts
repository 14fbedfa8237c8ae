/**
 * Password policy and hashing. Hashes are argon2id at OWASP's minimum (m=19 MiB, t=2, p=1),
 * computed on libuv's thread pool by @node-rs/argon2, never on the event loop. Hash before a
 * transaction opens, not inside it.
 */
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

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

const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

let verifications = 0;
/** argon2 verifications run by this process (a metric: a login costs one, whether or not the user exists). */
export const passwordVerifications = (): number => verifications;

/** False for a wrong password and for a malformed stored hash. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  verifications++;
  try {
    return await verify(storedHash, password);
  } catch {
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
