/**
 * The password check of every user's login (the Plazbot login; console operators, a table of their
 * own, get the same re-hash in OperatorService.login): verifies the password against the user's
 * stored hash in whatever accepted format it is (roster's argon2id, or a bcrypt, argon2i, scrypt or
 * Django pbkdf2 hash brought by `roster import`), and after a successful check of a hash that is
 * not roster's own argon2id at ROSTER_ARGON2, stores the password re-hashed with it. An unknown
 * email, or a user without a password, costs one verification all the same.
 */
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../store/schema.js';
import { replacePasswordHash } from '../store/users.js';
import { hashPassword, needsRehash, verifyDummy, verifyPassword } from './passwords.js';

export interface PasswordLoginOptions {
  /** Told when the re-hash could not be stored; the login itself has succeeded all the same. */
  onRehashError?: (err: unknown) => void;
}

/**
 * True when `password` is the user's. `user` undefined (no such email) or without a password hash
 * spends a dummy verification and answers false. A stored hash that does not parse is a failed
 * login, not an error.
 *
 * The re-hash runs after the verification, off the event loop like it, and is stored by a
 * conditional UPDATE that replaces the hash only if it is still the one just verified: a password
 * changed meanwhile (a reset, another login's upgrade) is never overwritten. A failure to store it
 * does not fail the login; the next login tries again.
 */
export async function checkLoginPassword(
  db: Kysely<Database>,
  user: Pick<UserRow, 'id' | 'password_hash'> | undefined,
  password: string,
  options: PasswordLoginOptions = {},
): Promise<boolean> {
  const stored = user?.password_hash;
  if (!user || !stored) return verifyDummy(password);
  const ok = await verifyPassword(stored, password);
  if (ok) await rehashIfNeeded(stored, password, (next) => replacePasswordHash(db, user.id, stored, next), options.onRehashError);
  return ok;
}

/**
 * After a successful login: when `stored` is not roster's own argon2id at ROSTER_ARGON2, hashes the
 * password at it and hands the new hash to `replace` (a conditional UPDATE of whichever table holds
 * it: users here, operators in OperatorService.login). A failure to store it leaves the login
 * standing; the next one tries again.
 */
export async function rehashIfNeeded(
  stored: string,
  password: string,
  replace: (next: string) => Promise<unknown>,
  onError: (err: unknown) => void = () => {},
): Promise<void> {
  if (!needsRehash(stored)) return;
  try {
    await replace(await hashPassword(password));
  } catch (err) {
    onError(err);
  }
}
