/**
 * Chatwoot Platform API request and response shapes, as TypeBox schemas. Requests are checked for
 * types only (a wrong type is a 422 naming the field); values are checked by core, which words its
 * messages as Chatwoot's Rails models do. Unknown request fields are ignored, as Rails' permit does.
 * Responses list every field, so nothing else (a hash, a digest) can ever be serialized.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { LOCALES } from './accounts.js';
import { LIMITS } from './limits.js';

// `type: [t, 'null']` rather than an anyOf: one Ajv message ("must be string,null"), not three.
const Text = Type.Unsafe<string | null>({ type: ['string', 'null'] });
const TextOf = (description: string) => Type.Unsafe<string | null>({ type: ['string', 'null'], description });
const Obj = Type.Record(Type.String(), Type.Unknown());
const ObjOrNull = Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'] });
/** An id as Rails takes it, a number or its digits; anything else is "must exist" (checked by core). */
const IdParam = Type.Unknown({ description: 'an id: an integer, or its digits as a string' });

const body = <T extends Record<string, TSchema>>(props: T) => Type.Object(props, { additionalProperties: true });

export const AccountParams = body({
  name: Type.Optional(TextOf(`required on create; at most ${LIMITS.account.name} characters`)),
  locale: Type.Optional(TextOf(`one of ${LOCALES.join(', ')}; default en`)),
  domain: Type.Optional(TextOf(`at most ${LIMITS.account.domain} characters`)),
  support_email: Type.Optional(Text),
  status: Type.Optional(TextOf('active (default) or suspended')),
  features: Type.Optional(
    Type.Unsafe<Record<string, unknown> | null>({
      type: ['object', 'null'],
      description: '{flag: true|false}, merged over the defaults (or the current flags)',
    }),
  ),
  limits: Type.Optional(
    Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'], description: `{key: whole number}, at most ${LIMITS.account.limitKeys} keys` }),
  ),
  custom_attributes: Type.Optional(ObjOrNull),
});
export type AccountParams = Static<typeof AccountParams>;

export const UserParams = body({
  name: Type.Optional(TextOf(`required on create; at most ${LIMITS.user.name} characters`)),
  display_name: Type.Optional(Text),
  email: Type.Optional(TextOf('required on create')),
  password: Type.Optional(
    TextOf(
      `${LIMITS.user.passwordMin}-${LIMITS.user.passwordMax} characters with an uppercase letter, a lowercase letter, a digit and a special character, and the company's policy`,
    ),
  ),
  custom_attributes: Type.Optional(ObjOrNull),
  avatar_url: Type.Optional(TextOf('an http(s) URL, kept as given (never fetched)')),
  avatar: Type.Optional(Type.Unknown({ description: 'an image file (multipart/form-data): PNG, JPEG, GIF or WebP, at most AVATAR_MAX_BYTES' })),
});
export type UserParams = Static<typeof UserParams>;

export const AccountUserParams = body({
  user_id: Type.Optional(IdParam),
  role: Type.Optional(Type.Unknown({ description: 'administrator or agent (checked by core)' })),
});
export type AccountUserParams = Static<typeof AccountUserParams>;

export const AccountUserDeleteParams = body({ user_id: Type.Optional(IdParam) });

export const AgentBotParams = body({
  name: Type.Optional(Text),
  description: Type.Optional(Text),
  outgoing_url: Type.Optional(TextOf(`an http(s) URL, at most ${LIMITS.agentBot.outgoingUrl} characters`)),
  account_id: Type.Optional(IdParam),
  avatar_url: Type.Optional(TextOf('an http(s) URL, kept as given (never fetched)')),
  avatar: Type.Optional(Type.Unknown({ description: 'an image file (multipart/form-data): PNG, JPEG, GIF or WebP, at most AVATAR_MAX_BYTES' })),
});
export type AgentBotParams = Static<typeof AgentBotParams>;

export const Account = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  locale: Type.String(),
  domain: Type.Union([Type.String(), Type.Null()]),
  support_email: Type.Union([Type.String(), Type.Null()]),
  features: Type.Record(Type.String(), Type.Boolean(), { description: 'the enabled feature flags, each true' }),
  custom_attributes: Obj,
  limits: Obj,
  status: Type.String(),
});
export type Account = Static<typeof Account>;

export const UserAccount = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  active_at: Type.Union([Type.String(), Type.Null()]),
  role: Type.String(),
});

const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);

export const User = Type.Object({
  access_token: Nullable(Type.String({ description: "the user's access token; null until POST /users/:id/token for a user without a readable one" })),
  account_id: Nullable(Type.Integer()),
  available_name: Type.String(),
  avatar_url: Type.String({ description: "the uploaded avatar's URL, else the avatar_url given, else an empty string" }),
  confirmed: Type.Boolean(),
  display_name: Nullable(Type.String()),
  message_signature: Nullable(Type.String()),
  email: Type.String(),
  id: Type.Integer(),
  name: Type.String(),
  provider: Type.String(),
  pubsub_token: Nullable(Type.String({ description: "the user's pubsub token; null until POST /users/:id/token for a user without a readable one" })),
  custom_attributes: Type.Optional(Obj),
  role: Nullable(Type.String()),
  ui_settings: Obj,
  uid: Type.String(),
  accounts: Type.Array(UserAccount),
});
export type User = Static<typeof User>;

export const AccountUser = Type.Object({
  id: Type.Integer(),
  account_id: Type.Integer(),
  user_id: Type.Integer(),
  role: Type.String(),
  inviter_id: Nullable(Type.Integer()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  active_at: Nullable(Type.String()),
  availability: Type.String(),
  auto_offline: Type.Boolean(),
  custom_role_id: Type.Null({ description: "Chatwoot's custom role (an enterprise feature roster does not have): always null" }),
  agent_capacity_policy_id: Type.Null({ description: "Chatwoot's agent capacity policy (enterprise): always null" }),
});
export type AccountUser = Static<typeof AccountUser>;

export const AgentBot = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Nullable(Type.String()),
  outgoing_url: Nullable(Type.String()),
  account_id: Nullable(Type.Integer()),
  access_token: Nullable(Type.String({ description: "the bot's access token; null for a bot created before migration 011" })),
  avatar_url: Type.String({ description: "the uploaded avatar's URL, else the avatar_url given, else an empty string" }),
});
export type AgentBot = Static<typeof AgentBot>;

export const LoginUrl = Type.Object({ url: Type.String() });

export const UserToken = Type.Object({
  access_token: Type.String(),
  expiry: Type.Null(),
  user: Type.Object({
    id: Type.Integer(),
    name: Type.String(),
    display_name: Nullable(Type.String()),
    email: Type.String(),
    pubsub_token: Type.String(),
  }),
});
export type UserToken = Static<typeof UserToken>;

/** 401 and 404 bodies, and the others that are not validation errors. */
export const ErrorBody = Type.Object({
  status: Type.Optional(Type.Integer({ description: 'on a 404, as Rails answers' })),
  error: Type.String(),
  message: Type.Optional(Type.String()),
});
/** 422: Rails' full messages joined by ', ', and the attributes they name. */
export const ValidationErrorBody = Type.Object({ message: Type.String(), attributes: Type.Array(Type.String()) });
export const AnyErrorBody = Type.Union([ValidationErrorBody, ErrorBody]);
export type AnyErrorBody = Static<typeof AnyErrorBody>;

/** Deletes answer 200 with no body at all (Rails' `head :ok`). */
export const EmptyBody = Type.Unsafe<undefined>({ description: 'an empty body' });
