/**
 * Reading a Chatwoot database (PostgreSQL, Chatwoot's db/schema.rb): the accounts, users,
 * account_users, platform_apps and platform_app_permissibles tables, page by page in id order, in
 * one read-only REPEATABLE READ transaction (one consistent snapshot, however long the import
 * takes, and nothing written to Chatwoot). Timestamps are read as UTC ISO text (Rails stores UTC
 * in `timestamp without time zone`), bigints as text (a feature_flags value can pass 2^53).
 */
import type pg from 'pg';
import { lazyRequire } from '../infra/lazy-require.js';
import { redactUrl } from '../store/db.js';

/** PostgreSQL's driver, loaded when a Chatwoot database is read. */
const pgDriver = lazyRequire<typeof pg>('pg');

export class ChatwootSourceError extends Error {
  override readonly name = 'ChatwootSourceError';
  constructor(
    readonly code: 'BAD_URL' | 'CONNECT_FAILED' | 'NOT_CHATWOOT' | 'READ_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ChatwootAccount {
  id: number;
  name: string;
  locale: number | null;
  domain: string | null;
  support_email: string | null;
  feature_flags: string | null;
  limits: unknown;
  custom_attributes: unknown;
  status: number | null;
  created_at: string;
  updated_at: string;
}

export interface ChatwootUser {
  id: number;
  email: string | null;
  name: string | null;
  display_name: string | null;
  encrypted_password: string | null;
  confirmed_at: string | null;
  availability: number | null;
  custom_attributes: unknown;
  created_at: string;
  updated_at: string;
}

export interface ChatwootAccountUser {
  id: number;
  account_id: number | null;
  user_id: number | null;
  role: number | null;
  inviter_id: number | null;
  /** account_users.availability, or the user's when the membership has none. */
  availability: number | null;
  auto_offline: boolean | null;
  active_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ChatwootPlatformApp {
  id: number;
  name: string | null;
  created_at: string;
}

export interface ChatwootPermissible {
  id: number;
  platform_app_id: number;
  permissible_type: string;
  permissible_id: number;
}

/** The columns read, per table: a database that lacks one is not a Chatwoot database roster reads. */
const REQUIRED: Record<string, readonly string[]> = {
  accounts: ['id', 'name', 'locale', 'domain', 'support_email', 'feature_flags', 'limits', 'custom_attributes', 'status', 'created_at', 'updated_at'],
  users: ['id', 'email', 'name', 'display_name', 'encrypted_password', 'confirmed_at', 'availability', 'custom_attributes', 'created_at', 'updated_at'],
  account_users: ['id', 'account_id', 'user_id', 'role', 'inviter_id', 'availability', 'auto_offline', 'active_at', 'created_at', 'updated_at'],
};
const REQUIRED_APPS: Record<string, readonly string[]> = {
  platform_apps: ['id', 'name', 'created_at'],
  platform_app_permissibles: ['id', 'platform_app_id', 'permissible_type', 'permissible_id'],
};

const ISO = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const QUERIES = {
  accounts: `select id::text as id, name, locale, domain, support_email, feature_flags::text as feature_flags, limits, custom_attributes, status,
      ${ISO('created_at')} as created_at, ${ISO('updated_at')} as updated_at
    from accounts where id > $1 order by id limit $2`,
  users: `select id::text as id, email, name, display_name, encrypted_password, ${ISO('confirmed_at')} as confirmed_at, availability, custom_attributes,
      ${ISO('created_at')} as created_at, ${ISO('updated_at')} as updated_at
    from users where id > $1 order by id limit $2`,
  account_users: `select au.id::text as id, au.account_id::text as account_id, au.user_id::text as user_id, au.role, au.inviter_id::text as inviter_id,
      coalesce(au.availability, u.availability) as availability, au.auto_offline, ${ISO('au.active_at')} as active_at,
      ${ISO('au.created_at')} as created_at, ${ISO('au.updated_at')} as updated_at
    from account_users au left join users u on u.id = au.user_id where au.id > $1 order by au.id limit $2`,
  platform_apps: `select id::text as id, name, ${ISO('created_at')} as created_at from platform_apps where id > $1 order by id limit $2`,
  platform_app_permissibles: `select id::text as id, platform_app_id::text as platform_app_id, permissible_type, permissible_id::text as permissible_id
    from platform_app_permissibles where id > $1 order by id limit $2`,
} as const;

type Table = keyof typeof QUERIES;

/** Id-like columns read as text: numbers when they are safe integers, null otherwise. */
const ID_COLUMNS = new Set(['id', 'account_id', 'user_id', 'inviter_id', 'platform_app_id', 'permissible_id']);
function idOf(v: unknown): number | null {
  if (typeof v !== 'string' || !/^\d{1,16}$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

export class ChatwootSource {
  private constructor(private readonly client: pg.Client) {}

  /** Connects, checks the tables and columns, and opens the snapshot. */
  static async open(url: string, options: { platformApps?: boolean; connectTimeoutMs?: number } = {}): Promise<ChatwootSource> {
    if (!/^postgres(ql)?:\/\//.test(url))
      throw new ChatwootSourceError('BAD_URL', '--from must be a postgres:// or postgresql:// URL of the Chatwoot database');
    const client = new (pgDriver().Client)({ connectionString: url, connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000 });
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (cause) {
      await client.end().catch(() => {});
      throw new ChatwootSourceError('CONNECT_FAILED', `cannot connect to the Chatwoot database ${redactUrl(url)}: ${(cause as Error).message}`, { cause });
    }
    const source = new ChatwootSource(client);
    try {
      await client.query("set time zone 'UTC'");
      await client.query('begin isolation level repeatable read read only');
      await source.checkSchema({ ...REQUIRED, ...(options.platformApps ? REQUIRED_APPS : {}) });
      return source;
    } catch (err) {
      await source.close();
      if (err instanceof ChatwootSourceError) throw err;
      throw new ChatwootSourceError('READ_FAILED', `cannot read the Chatwoot database: ${(err as Error).message}`, { cause: err });
    }
  }

  private async checkSchema(required: Record<string, readonly string[]>): Promise<void> {
    const res = await this.client.query<{ table_name: string; column_name: string }>(
      'select table_name, column_name from information_schema.columns where table_schema = current_schema() and table_name = any($1)',
      [Object.keys(required)],
    );
    const have = new Set(res.rows.map((r) => `${r.table_name}.${r.column_name}`));
    const missing = Object.entries(required).flatMap(([table, columns]) => columns.map((c) => `${table}.${c}`).filter((tc) => !have.has(tc)));
    if (missing.length > 0) {
      throw new ChatwootSourceError(
        'NOT_CHATWOOT',
        `not a Chatwoot database roster can read: missing ${missing.slice(0, 12).join(', ')}${missing.length > 12 ? ', …' : ''}`,
      );
    }
  }

  /** The largest id of a table (0 when empty). */
  async maxId(table: 'users' | 'accounts'): Promise<number> {
    const res = await this.read<{ max: string | null }>(`select max(id)::text as max from ${table}`, []);
    return idOf(res[0]?.max) ?? 0;
  }

  /** The table's rows in id order, `pageSize` at a time. */
  async *pages<T>(table: Table, pageSize: number): AsyncGenerator<T[]> {
    let after = '0';
    for (;;) {
      const rows = await this.read<Record<string, unknown>>(QUERIES[table], [after, pageSize]);
      if (rows.length === 0) return;
      after = String(rows[rows.length - 1]!.id);
      for (const r of rows) for (const c of Object.keys(r)) if (ID_COLUMNS.has(c)) r[c] = idOf(r[c]);
      yield rows as T[];
      if (rows.length < pageSize) return;
    }
  }

  private async read<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
    try {
      return (await this.client.query<T>(text, values)).rows;
    } catch (cause) {
      throw new ChatwootSourceError('READ_FAILED', `cannot read the Chatwoot database: ${(cause as Error).message}`, { cause });
    }
  }

  async close(): Promise<void> {
    await this.client.query('rollback').catch(() => {});
    await this.client.end().catch(() => {});
  }
}
