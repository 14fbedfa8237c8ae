/** What the Chatwoot route modules share: their dependencies and the path-target hook. */
import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { Authenticator } from '../../../identity/credentials.js';
import type { CredentialGuard } from '../../shared/credential-guard.js';
import type { AccountUserService } from '../account-users.js';
import type { AccountService } from '../accounts.js';
import type { AgentBotService } from '../agent-bots.js';
import type { AvatarService } from '../avatars.js';
import type { AuthorizedId, PermissibleType, Permissions } from '../permissions.js';
import type { ChatwootUserService } from '../users.js';
import { AnyErrorBody } from '../schemas.js';
import { principalOf } from '../../shared/principal.js';

export interface ChatwootDeps {
  auth: Authenticator;
  permissions: Permissions;
  accounts: AccountService;
  accountUsers: AccountUserService;
  agentBots: AgentBotService;
  users: ChatwootUserService;
  /** Uploaded avatars: their limit, and serving them. */
  avatars: AvatarService;
  /** Counts failed platform-app token checks per address and per app id (429 past the limits). */
  guard: CredentialGuard;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The record named in the path, once the calling app may touch it (see `target`). */
    chatwootTarget: { type: PermissibleType; id: number } | null;
  }
}

/**
 * A hook that resolves the path's `param` to a record the app may touch (404 unknown, 401 not the
 * app's), before the body is validated: Chatwoot checks the token, then the lookup, then the
 * permission, and only then the values.
 */
export function target(permissions: Permissions, type: PermissibleType, param: string): preValidationAsyncHookHandler {
  return async (req) => {
    const raw = (req.params as Record<string, string | undefined>)[param];
    req.chatwootTarget = { type, id: await permissions.authorize(principalOf(req), type, raw) };
  };
}

/** The id `target` resolved for this route. */
export function targetOf<T extends PermissibleType>(req: FastifyRequest, type: T): AuthorizedId<T> {
  const t = req.chatwootTarget;
  if (!t || t.type !== type) throw new Error(`route has no ${type} target hook`);
  return t.id as AuthorizedId<T>;
}

/** The error bodies every route may answer with. */
export const errorResponses = { '4xx': AnyErrorBody, '5xx': AnyErrorBody } as const;
