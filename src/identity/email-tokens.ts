/**
 * One-time tokens sent by mail: email verification links and password-reset codes. 256 random
 * bits, stored only as SHA-256 digests, single use, expiring.
 */
import type { Db } from '../store/db.js';
import * as store from '../store/email-tokens.js';
import type { EmailTokenPurpose } from '../store/schema.js';
import { digest, newSecret } from './secrets.js';

export type { EmailTokenPurpose };

export const TOKEN_TTL_MS: Record<EmailTokenPurpose, number> = {
  verify_email: 24 * 3_600_000,
  reset_password: 60 * 60_000,
};

/** The shape of every token roster mails: 43 base64url characters. */
export const EMAIL_TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** Creates a token for the user and returns it; only its digest is stored. */
export async function mintEmailToken(db: Db, userId: number, purpose: EmailTokenPurpose, now = new Date()): Promise<string> {
  const token = newSecret();
  await store.insertEmailToken(db.kysely, {
    tokenDigest: digest(token),
    purpose,
    userId,
    now: now.toISOString(),
    expiresAt: new Date(now.getTime() + TOKEN_TTL_MS[purpose]).toISOString(),
  });
  return token;
}
