/**
 * Table types for Kysely. Both stores use the same column types: integers for ids and booleans
 * (0/1), text for ISO 8601 UTC timestamps and for JSON documents. See docs in README ("Storage").
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** An autoincrement id: generated on insert, a number when read. */
type Id = Generated<number>;

export interface CompaniesTable {
  id: Id;
  code: string;
  name: string;
  require_email_verification: number;
  /** JSON of a PasswordPolicy override; null = the default policy. */
  password_policy: string | null;
  created_at: string;
  updated_at: string;
}

export interface BotsTable {
  id: string;
  company_id: number;
  name: string;
  created_at: string;
}

export type CredentialKind = 'widget_client' | 'api_token' | 'platform_app' | 'scim_token';

export interface CredentialsTable {
  /** The public half: a widget clientId, or the id embedded in a token. */
  id: string;
  kind: CredentialKind;
  company_id: number;
  bot_id: string | null;
  name: string | null;
  /** SHA-256 of the secret half, hex. */
  secret_digest: string;
  created_at: string;
  revoked_at: string | null;
}

export interface WidgetUsersTable {
  id: Id;
  bot_id: string;
  company_id: number;
  reference_id: string;
  names: string;
  legal_id: string | null;
  socket_id: string;
  provider_id: string;
  group_id: string;
  created_at: string;
  updated_at: string;
}

export type RoomKind = 'personal' | 'group';

export interface RoomsTable {
  /** 24 hex characters, like a MongoDB ObjectId (Jelou's `_id`). */
  oid: string;
  /** Jelou's room id, `G:<botId>:<referenceId>` for a personal room. */
  id: string;
  kind: RoomKind;
  bot_id: string;
  widget_user_id: number;
  name: string;
  last_message_at: string;
  created_at: string;
  updated_at: string;
}

export interface RoomMembersTable {
  room_oid: string;
  member_id: string;
  member_type: 'user' | 'bot';
  created_at: string;
}

export type UserCreatedVia = 'plazbot' | 'chatwoot' | 'cli' | 'scim' | 'import';

export interface UsersTable {
  id: Id;
  company_id: number;
  /** Trimmed and lower-cased. */
  email: string;
  name: string;
  last_name: string | null;
  display_name: string | null;
  /** argon2id PHC string; null = cannot log in with a password. */
  password_hash: string | null;
  email_verified_at: string | null;
  default_start_week: number;
  is_external_creation: number;
  /** JSON object. */
  custom_attributes: string;
  /** JSON object. */
  ui_settings: string;
  message_signature: string | null;
  /** SHA-256 of the user's pubsub token (a bearer capability for a realtime channel), hex. */
  pubsub_token_digest: string;
  /** Moves on every change of password or email; a session is opened only against the current one. */
  credential_version: Generated<number>;
  created_via: UserCreatedVia;
  created_at: string;
  updated_at: string;
  /** 0 = deactivated (SCIM `active: false`): every login refused. Default 1. */
  active: ColumnType<number, number | undefined, number>;
  /** SCIM `userName` as sent; null = the email is the userName. */
  user_name: string | null;
  /** user_name lower-cased: unique per company. */
  user_name_key: string | null;
  /** SCIM `externalId` (the provisioning client's own id). */
  external_id: string | null;
  /** SCIM `name.formatted`. */
  name_formatted: string | null;
  /** SCIM `type` of the email (work, home, other); null = work. */
  email_type: string | null;
  /** The SCIM enterprise extension: employeeNumber, department, manager.value. */
  employee_number: string | null;
  department: string | null;
  manager_id: string | null;
  /** The pubsub token, sealed (infra/secret-box.ts); null for rows from before migration 011 until the next token call. */
  pubsub_token_sealed: string | null;
  /** Chatwoot's `avatar_url` as given (never fetched); an uploaded avatar is a row of `avatars`. */
  avatar_url: string | null;
}

/** A Chatwoot account (workspace). */
export interface AccountsTable {
  id: Id;
  company_id: number;
  name: string;
  locale: string;
  domain: string | null;
  support_email: string | null;
  status: 'active' | 'suspended';
  /** JSON array of the enabled feature flags. */
  features: string;
  /** JSON object. */
  limits: string;
  /** JSON object. */
  custom_attributes: string;
  created_at: string;
  updated_at: string;
  /** SCIM `externalId` of the Group this account is. */
  external_id: string | null;
}

export type AccountRole = 'administrator' | 'agent';

export interface AccountUsersTable {
  id: Id;
  account_id: number;
  user_id: number;
  role: AccountRole;
  inviter_id: number | null;
  availability: string;
  auto_offline: number;
  active_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AgentBotsTable {
  id: Id;
  company_id: number;
  account_id: number | null;
  name: string;
  description: string | null;
  outgoing_url: string | null;
  /** The public half of the bot's access token. */
  access_token_id: string;
  /** SHA-256 of the secret half, hex. */
  access_token_digest: string;
  created_at: string;
  updated_at: string;
  /** The whole access token, sealed (infra/secret-box.ts); null for bots from before migration 011. */
  access_token_sealed: string | null;
  /** Chatwoot's `avatar_url` as given (never fetched). */
  avatar_url: string | null;
}

export type PermissibleType = 'Account' | 'User' | 'AgentBot';

/** What a platform app may touch (Chatwoot's rule): the records it created or linked. */
export interface PlatformAppPermissiblesTable {
  id: Id;
  /** credentials.id of a platform_app credential. */
  platform_app_id: string;
  permissible_type: PermissibleType;
  permissible_id: number;
  created_at: string;
}

export interface UserAccessTokensTable {
  /** The public half, embedded in the token. */
  id: string;
  user_id: number;
  /** SHA-256 of the secret half, hex. */
  secret_digest: string;
  created_at: string;
  /** The whole token, sealed (infra/secret-box.ts); null for tokens from before migration 011. */
  token_sealed: string | null;
}

/** An uploaded avatar image of a user or an agent bot (Chatwoot's `avatar`), served at /avatars/<key>. */
export interface AvatarsTable {
  id: Id;
  key: string;
  user_id: number | null;
  agent_bot_id: number | null;
  content_type: string;
  byte_size: number;
  data: Buffer;
  created_at: string;
}

export interface SsoLoginTokensTable {
  /** SHA-256 of the token, hex. */
  digest: string;
  user_id: number;
  expires_at: string;
  created_at: string;
}

/** A web origin whose pages may call the widget API with the company's credentials. */
export interface CompanyCorsOriginsTable {
  company_id: number;
  /** Serialized: scheme://host[:port], lower-case, no default port, no path. */
  origin: string;
  created_at: string;
}

export interface SessionsTable {
  /** SHA-256 of the opaque session token, hex. */
  token_digest: string;
  user_id: number;
  created_at: string;
  expires_at: string;
}

export type EmailTokenPurpose = 'verify_email' | 'reset_password';

export interface EmailTokensTable {
  /** SHA-256 of the token sent by mail, hex. */
  token_digest: string;
  purpose: EmailTokenPurpose;
  user_id: number;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export type OutboxTemplate = 'verify_email' | 'reset_password';
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';

export interface OutboxTable {
  id: Id;
  template: OutboxTemplate;
  user_id: number | null;
  to_address: string;
  status: OutboxStatus;
  attempts: number;
  /** When a pending message is due. */
  next_attempt_at: string;
  /** The claim that is sending it (status 'sending'). */
  claimed_by: string | null;
  /** A 'sending' claim older than this is taken to have died; another node may take it. */
  lease_until: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
}

export interface EventsTable {
  id: Id;
  type: string;
  occurred_at: string;
  company_id: number | null;
  actor_kind: string;
  actor_id: string | null;
  client_ip: string | null;
  request_id: string | null;
  target_kind: string;
  target_id: string;
  /** JSON: the target as the API that wrote it presents it. */
  data: string;
}

export interface WebhooksTable {
  id: string;
  company_id: number;
  url: string;
  /** JSON array of event types; null means every type. */
  event_types: string | null;
  /** The signing secret, sealed (infra/secret-box.ts). */
  secret_sealed: string;
  created_at: string;
}

export type WebhookDeliveryStatus = 'pending' | 'sending' | 'delivered' | 'failed';

export interface WebhookDeliveriesTable {
  id: Id;
  webhook_id: string;
  event_id: number;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: string;
  claimed_by: string | null;
  lease_until: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

/**
 * What `roster import` brought in from where (migration 010_import): the id a record had in the
 * system it came from, and the roster record it became. A second run finds its records here.
 */
export interface ImportLinksTable {
  company_id: number;
  /** 'chatwoot': roster import chatwoot. */
  source: ImportSource;
  kind: ImportLinkKind;
  /** The id in the source system (a Chatwoot id), as text. */
  source_id: string;
  /** roster's id: users.id or accounts.id as text, or credentials.id of a platform app. */
  target_id: string;
  created_at: string;
}

export type ImportSource = 'chatwoot';
export type ImportLinkKind = 'user' | 'account' | 'platform_app';

export interface Database {
  companies: CompaniesTable;
  bots: BotsTable;
  credentials: CredentialsTable;
  widget_users: WidgetUsersTable;
  rooms: RoomsTable;
  room_members: RoomMembersTable;
  users: UsersTable;
  accounts: AccountsTable;
  account_users: AccountUsersTable;
  agent_bots: AgentBotsTable;
  platform_app_permissibles: PlatformAppPermissiblesTable;
  user_access_tokens: UserAccessTokensTable;
  sso_login_tokens: SsoLoginTokensTable;
  sessions: SessionsTable;
  company_cors_origins: CompanyCorsOriginsTable;
  email_tokens: EmailTokensTable;
  outbox: OutboxTable;
  events: EventsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  import_links: ImportLinksTable;
  avatars: AvatarsTable;
  operators: OperatorsTable;
  operator_sessions: OperatorSessionsTable;
}

export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;

export type CompanyRow = Selectable<CompaniesTable>;
export type BotRow = Selectable<BotsTable>;
export type CredentialRow = Selectable<CredentialsTable>;
export type WidgetUserRow = Selectable<WidgetUsersTable>;
export type NewWidgetUser = Insertable<WidgetUsersTable>;
export type RoomRow = Selectable<RoomsTable>;
export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type AccountRow = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type AccountUserRow = Selectable<AccountUsersTable>;
export type AgentBotRow = Selectable<AgentBotsTable>;
export type NewAgentBot = Insertable<AgentBotsTable>;
export type SessionRow = Selectable<SessionsTable>;
export type EmailTokenRow = Selectable<EmailTokensTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type NewOutboxMessage = Insertable<OutboxTable>;

/** A column that is written as one type and read as another. Re-exported for store modules. */
export type { ColumnType };

/** An operator of the admin console (migration 012). */
export interface OperatorsTable {
  id: Id;
  /** Trimmed and lower-cased. */
  email: string;
  /** argon2id PHC string. */
  password_hash: string;
  created_at: string;
}

/** A console login: the SHA-256 of the cookie's opaque token, hex. */
export interface OperatorSessionsTable {
  token_digest: string;
  operator_id: number;
  created_at: string;
  expires_at: string;
}

export type OperatorRow = Selectable<OperatorsTable>;
