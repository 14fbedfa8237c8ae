/**
 * Access tokens of users and agent bots (Chatwoot's `access_token`). A token is shown once, when it
 * is issued; only the SHA-256 digest of its secret half is stored, so no later answer can show it
 * again. Tokens look like platform app tokens, `<prefix>_<16 hex id>.<secret>`, so a check is one
 * lookup by primary key and a constant-time comparison.
 */
import type { Db } from '../../store/db.js';
import { findAgentBotByTokenId } from '../../store/agent-bots.js';
import { findUserAccessToken } from '../../store/user-tokens.js';
import { digest, formatToken, newPublicId, newSecret, parseToken, secretMatches } from '../../identity/secrets.js';

export const USER_TOKEN_PREFIX = 'rut';
export const AGENT_BOT_TOKEN_PREFIX = 'rbt';

export interface MintedToken {
  /** The whole token, for the caller's eyes only. */
  token: string;
  id: string;
  digest: string;
}

export function mintToken(prefix: string): MintedToken {
  const id = newPublicId();
  const secret = newSecret();
  return { token: formatToken(prefix, id, secret), id, digest: digest(secret) };
}

export class AccessTokens {
  constructor(private readonly db: Db) {}

  /** The id of the user a token belongs to; undefined for anything else (unknown, replaced, malformed). */
  async verifyUserToken(token: string): Promise<number | undefined> {
    const parsed = parseToken(USER_TOKEN_PREFIX, token);
    if (!parsed) return undefined;
    const row = await findUserAccessToken(this.db.kysely, parsed.id);
    return row && secretMatches(parsed.secret, row.secret_digest) ? row.user_id : undefined;
  }

  /** The id of the agent bot a token belongs to; undefined for anything else. */
  async verifyAgentBotToken(token: string): Promise<number | undefined> {
    const parsed = parseToken(AGENT_BOT_TOKEN_PREFIX, token);
    if (!parsed) return undefined;
    const row = await findAgentBotByTokenId(this.db.kysely, parsed.id);
    return row && secretMatches(parsed.secret, row.access_token_digest) ? row.id : undefined;
  }
}
