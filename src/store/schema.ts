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

export type CredentialKind = 'widget_client' | 'api_token' | 'platform_app';

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

export type UserCreatedVia = 'plazbot' | 'chatwoot' | 'cli';

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
  pubsub_token: string;
  created_via: UserCreatedVia;
  created_at: string;
  updated_at: string;
}

export interface Database {
  companies: CompaniesTable;
  bots: BotsTable;
  credentials: CredentialsTable;
  widget_users: WidgetUsersTable;
  rooms: RoomsTable;
  room_members: RoomMembersTable;
  users: UsersTable;
}

export type CompanyRow = Selectable<CompaniesTable>;
export type BotRow = Selectable<BotsTable>;
export type CredentialRow = Selectable<CredentialsTable>;
export type WidgetUserRow = Selectable<WidgetUsersTable>;
export type NewWidgetUser = Insertable<WidgetUsersTable>;
export type RoomRow = Selectable<RoomsTable>;
export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;

/** A column that is written as one type and read as another. Re-exported for store modules. */
export type { ColumnType };
