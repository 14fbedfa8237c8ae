/** Domain records -> Chatwoot's JSON, and roster's errors -> Chatwoot's error bodies and statuses. */
import type { Account as AccountRecord } from './accounts.js';
import type { AccountUser as AccountUserRecord } from './account-users.js';
import type { AgentBot as AgentBotRecord } from './agent-bots.js';
import type { PlatformUser } from './users.js';
import { fullMessage, MESSAGES } from './record-errors.js';
import type { FieldError } from '../../identity/errors.js';
import type { Classified } from '../shared/errors.js';
import type { Account, AccountUser, AgentBot, AnyErrorBody, User, UserToken } from './schemas.js';

export function presentAccount(a: AccountRecord): Account {
  return {
    id: a.id,
    name: a.name,
    locale: a.locale,
    domain: a.domain,
    support_email: a.supportEmail,
    features: Object.fromEntries(a.features.map((f) => [f, true])),
    custom_attributes: a.customAttributes,
    limits: a.limits,
    status: a.status,
  };
}

export function presentUser(u: PlatformUser): User {
  return {
    access_token: u.accessToken,
    account_id: u.activeAccount?.id ?? null,
    available_name: u.displayName || u.name,
    avatar_url: u.avatarUrl,
    confirmed: u.confirmed,
    display_name: u.displayName,
    message_signature: u.messageSignature,
    email: u.email,
    id: u.id,
    name: u.name,
    provider: 'email',
    pubsub_token: u.pubsubToken,
    ...(Object.keys(u.customAttributes).length > 0 && { custom_attributes: u.customAttributes }),
    role: u.activeAccount?.role ?? null,
    ui_settings: u.uiSettings,
    uid: u.email,
    accounts: u.accounts.map((m) => ({ id: m.id, name: m.name, active_at: m.activeAt, role: m.role })),
  };
}

/** POST /users/:id/token: the freshly issued tokens and who they belong to. */
export function presentUserToken(u: PlatformUser): UserToken {
  if (u.accessToken === null || u.pubsubToken === null) throw new Error('presentUserToken needs freshly issued tokens');
  return {
    access_token: u.accessToken,
    expiry: null,
    user: { id: u.id, name: u.name, display_name: u.displayName, email: u.email, pubsub_token: u.pubsubToken },
  };
}

export function presentAccountUser(m: AccountUserRecord): AccountUser {
  return {
    id: m.id,
    account_id: m.accountId,
    user_id: m.userId,
    role: m.role,
    inviter_id: m.inviterId,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    active_at: m.activeAt,
    availability: m.availability,
    auto_offline: m.autoOffline,
    // Chatwoot 4.8's enterprise custom roles and capacity policies: roster has neither.
    custom_role_id: null,
    agent_capacity_policy_id: null,
  };
}

export function presentAgentBot(b: AgentBotRecord): AgentBot {
  return {
    id: b.id,
    name: b.name,
    description: b.description,
    // Chatwoot's view prints the name here by mistake; roster prints the URL.
    outgoing_url: b.outgoingUrl,
    account_id: b.accountId,
    access_token: b.accessToken,
    avatar_url: b.avatarUrl,
  };
}

/**
 * The data of the events this API's writes record: each record as this API presents it, less the
 * tokens an answer shows once (an event never holds a secret).
 */
export const eventData = {
  account: (a: AccountRecord) => presentAccount(a),
  accountUser: (m: AccountUserRecord) => presentAccountUser(m),
  agentBot: (b: AgentBotRecord) => {
    const { access_token: _token, ...rest } = presentAgentBot(b);
    return rest;
  },
  user: (u: PlatformUser) => {
    const { access_token: _access, pubsub_token: _pubsub, ...rest } = presentUser(u);
    return rest;
  },
};

/** Codes of invalid requests that are about the HTTP request itself, not its values: 400, as in Rails. */
const BAD_REQUEST_CODES = new Set(['MALFORMED_JSON', 'MALFORMED_BODY', 'INVALID_PERCENT_ENCODING', 'INVALID_CONTENT_LENGTH', 'BAD_REQUEST']);

/**
 * Chatwoot's statuses: validation failures (roster's 400s about values, and conflicts such as a
 * taken email) are 422; a resource the app may not touch is 401.
 */
export function chatwootStatus(c: Classified): number {
  if (c.kind === 'invalid') return BAD_REQUEST_CODES.has(c.code) ? 400 : 422;
  if (c.kind === 'conflict') return 422;
  if (c.kind === 'forbidden') return 401;
  return c.status;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Ajv's wording ("must be string,null") in the words of the rest of the messages. */
function railsMessage(f: FieldError): FieldError {
  if (f.message === 'is required') return { field: f.field, message: MESSAGES.blank };
  const type = /^must be ((?:string|object|integer|number|boolean|array|null)(?:,(?:string|object|integer|number|boolean|array|null))*)$/.exec(f.message);
  if (type) {
    const kinds = type[1]!.split(',').map((t) => (t === 'null' ? 'null' : t === 'object' || t === 'integer' || t === 'array' ? `an ${t}` : `a ${t}`));
    return { field: f.field, message: `must be ${kinds.join(' or ')}` };
  }
  return f;
}

/** `(body)` (the body as a whole) reads as "Body"; a nested path is named by its first segment. */
const attributeOf = (field: string) => (field === '(body)' ? 'body' : (field.split('.')[0] ?? field));

export function presentError(c: Classified): AnyErrorBody {
  if (c.status === 422) {
    const fields = c.fields.map((f) => railsMessage({ field: f.field === '(body)' ? 'body' : f.field, message: f.message }));
    return {
      message: fields.length > 0 ? fields.map(fullMessage).join(', ') : c.message,
      attributes: [...new Set(fields.map((f) => attributeOf(f.field)))],
    };
  }
  if (c.status === 401) return { error: c.code === 'NON_PERMISSIBLE' ? 'Non permissible resource' : 'Invalid access_token' };
  // Rails' own 404 body (ActiveRecord::RecordNotFound, rescued by Chatwoot's platform controller).
  if (c.status === 404) return { status: 404, error: 'Not Found' };
  const reason = REASONS[c.status] ?? (c.status >= 500 ? 'Internal Server Error' : 'Bad Request');
  // This API reads forms and multipart too (rails-params.ts), not only JSON.
  if (c.code === 'UNSUPPORTED_MEDIA_TYPE') return { error: reason, message: 'The body must be JSON, application/x-www-form-urlencoded or multipart/form-data' };
  // A 500's message is the generic one: the cause is logged, never sent.
  return c.status >= 500 && c.status !== 503 ? { error: reason } : { error: reason, message: c.message };
}
