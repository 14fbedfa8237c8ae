/**
 * What follows a change of a user's email or password, whichever API made it. Run it in the
 * transaction that changed them.
 */
import type { Kysely } from 'kysely';
import * as emailTokens from '../store/email-tokens.js';
import type { Database } from '../store/schema.js';
import * as sessions from '../store/sessions.js';
import { bumpCredentialVersion } from '../store/users.js';
import * as userTokens from '../store/user-tokens.js';

export interface CredentialChange {
  emailChanged: boolean;
  passwordChanged: boolean;
}

/**
 * A new email: every mailed token dies (reset codes and verification links went to the old
 * address) and every session ends. A new password: every session ends and every reset code dies
 * (it was asked for to set a password; one is set). Either moves the user's credential_version,
 * so a login that checked the old password and has not opened its session yet opens none.
 * Nothing changed: nothing happens.
 */
export async function afterCredentialChange(trx: Kysely<Database>, userId: number, change: CredentialChange, now: string): Promise<void> {
  if (!change.emailChanged && !change.passwordChanged) return;
  await emailTokens.retireEmailTokens(trx, userId, 'reset_password', now);
  if (change.emailChanged) await emailTokens.retireEmailTokens(trx, userId, 'verify_email', now);
  await bumpCredentialVersion(trx, userId);
  await sessions.deleteUserSessions(trx, userId);
}

/**
 * A user deactivated (SCIM `active: false`): every session ends, every login link and mailed code
 * dies. The row stays; logins are refused while `active` is 0 (see isActive).
 */
export async function afterDeactivation(trx: Kysely<Database>, userId: number, now: string): Promise<void> {
  // A login that checked the password before the deactivation opens no session after it.
  await bumpCredentialVersion(trx, userId);
  await sessions.deleteUserSessions(trx, userId);
  await userTokens.deleteSsoTokens(trx, userId);
  await emailTokens.retireEmailTokens(trx, userId, 'reset_password', now);
}
