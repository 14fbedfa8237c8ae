/**
 * A small Chatwoot database: the tables `roster import chatwoot` reads, with their columns, types,
 * defaults and indexes as Chatwoot's db/schema.rb (4.8) defines them, in PostgreSQL as Rails
 * creates them (string -> character varying, datetime -> timestamp without time zone, `id: :serial`
 * -> serial, other ids bigserial).
 */
import pg from 'pg';

export const CHATWOOT_DDL = `
create table accounts (
  id serial primary key,
  name character varying not null,
  created_at timestamp without time zone not null,
  updated_at timestamp without time zone not null,
  locale integer default 0,
  domain character varying(100),
  support_email character varying(100),
  feature_flags bigint default 0 not null,
  auto_resolve_duration integer,
  limits jsonb default '{}'::jsonb,
  custom_attributes jsonb default '{}'::jsonb,
  status integer default 0,
  internal_attributes jsonb default '{}'::jsonb not null,
  settings jsonb default '{}'::jsonb
);
create index index_accounts_on_status on accounts (status);

create table users (
  id serial primary key,
  provider character varying default 'email' not null,
  uid character varying default '' not null,
  encrypted_password character varying default '' not null,
  reset_password_token character varying,
  reset_password_sent_at timestamp without time zone,
  remember_created_at timestamp without time zone,
  sign_in_count integer default 0 not null,
  current_sign_in_at timestamp without time zone,
  last_sign_in_at timestamp without time zone,
  current_sign_in_ip character varying,
  last_sign_in_ip character varying,
  confirmation_token character varying,
  confirmed_at timestamp without time zone,
  confirmation_sent_at timestamp without time zone,
  unconfirmed_email character varying,
  name character varying not null,
  display_name character varying,
  email character varying,
  tokens json,
  created_at timestamp without time zone not null,
  updated_at timestamp without time zone not null,
  pubsub_token character varying,
  availability integer default 0,
  ui_settings jsonb default '{}'::jsonb,
  custom_attributes jsonb default '{}'::jsonb,
  type character varying,
  message_signature text
);
create index index_users_on_email on users (email);
create unique index index_users_on_pubsub_token on users (pubsub_token);
create unique index index_users_on_reset_password_token on users (reset_password_token);
create unique index index_users_on_uid_and_provider on users (uid, provider);

create table account_users (
  id bigserial primary key,
  account_id bigint,
  user_id bigint,
  role integer default 0,
  inviter_id bigint,
  created_at timestamp(6) without time zone not null,
  updated_at timestamp(6) without time zone not null,
  active_at timestamp without time zone,
  availability integer default 0 not null,
  auto_offline boolean default true not null,
  custom_role_id bigint,
  agent_capacity_policy_id bigint
);
create unique index uniq_user_id_per_account_id on account_users (account_id, user_id);
create index index_account_users_on_account_id on account_users (account_id);
create index index_account_users_on_user_id on account_users (user_id);

create table platform_apps (
  id bigserial primary key,
  name character varying not null,
  created_at timestamp(6) without time zone not null,
  updated_at timestamp(6) without time zone not null
);

create table platform_app_permissibles (
  id bigserial primary key,
  platform_app_id bigint not null,
  permissible_type character varying not null,
  permissible_id bigint not null,
  created_at timestamp(6) without time zone not null,
  updated_at timestamp(6) without time zone not null
);
create index index_platform_app_permissibles_on_permissibles on platform_app_permissibles (permissible_type, permissible_id);
create unique index unique_permissibles_index on platform_app_permissibles (platform_app_id, permissible_id, permissible_type);
create index index_platform_app_permissibles_on_platform_app_id on platform_app_permissibles (platform_app_id);
`;

/** Runs statements on the Chatwoot database at `url`. */
export async function onChatwoot(url: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
