/**
 * API credentials: widget clients (Jelou), API tokens (Plazbot), platform apps (Chatwoot) and SCIM
 * tokens (an identity provider's provisioning connection).
 * Secrets are shown once at creation and stored only as SHA-256 digests.
 */
import type { Db } from '../store/db.js';
import * as store from '../store/credentials.js';
import type { CredentialKind } from '../store/schema.js';
import { nowIso } from '../infra/clock.js';
import type { CompanyService } from './companies.js';
import { invalid, notFound, unauthorized } from './errors.js';
import { digest, formatToken, newPublicId, newSecret, newUuid, parseToken, secretMatches } from './secrets.js';
import { TtlCache } from '../infra/ttl-cache.js';
import { actingAs, type Acting, type RequestOrigin } from '../events/types.js';

export type { CredentialKind };

/** Who is calling: the credential and the tenant it belongs to. */
export interface Principal {
  credentialId: string;
  kind: CredentialKind;
  companyId: number;
  companyCode: string;
  companyName: string;
  botId: string | null;
  botName: string | null;
  /** The credential acting through this request: what the events its writes record name. */
  acting: Acting;
}

const TOKEN_PREFIX: Record<Exclude<CredentialKind, 'widget_client'>, string> = {
  api_token: 'rtk',
  platform_app: 'rpa',
  scim_token: 'rsc',
};

/** The credentials that are bearer tokens (`<prefix>_<id>.<secret>`). */
export type TokenKind = Exclude<CredentialKind, 'widget_client'>;

export const DEFAULT_BOT_NAME = 'Widget Bot';

const PUBLIC_ID_RE = /^[0-9a-f]{16}$/;

export interface WidgetClientCreated {
  clientId: string;
  clientSecret: string;
  botId: string;
  companyId: number;
}

export interface TokenCreated {
  id: string;
  token: string;
}

export interface CredentialSummary {
  id: string;
  name: string | null;
  botId: string | null;
  botName: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/**
 * Resolves presented secrets to principals. Each node keeps what it looked up for `ttlMs`, so a hot
 * credential costs one SHA-256 and no query; a revocation reaches every node within that time.
 */
export class Authenticator {
  private readonly cache: TtlCache<store.CredentialPrincipalRow | undefined>;

  constructor(
    private readonly db: Db,
    ttlMs: number,
  ) {
    this.cache = new TtlCache(ttlMs);
  }

  async widgetClient(clientId: string, clientSecret: string, origin?: RequestOrigin): Promise<Principal> {
    // Every client id is newPublicId()'s 16 hex: anything else is refused without a query.
    if (!PUBLIC_ID_RE.test(clientId)) throw unauthorized();
    return this.check('widget_client', clientId, clientSecret, origin);
  }

  async token(kind: TokenKind, token: string, origin?: RequestOrigin): Promise<Principal> {
    const parsed = parseToken(TOKEN_PREFIX[kind], token);
    if (!parsed) throw unauthorized();
    return this.check(kind, parsed.id, parsed.secret, origin);
  }

  private async check(kind: CredentialKind, id: string, secret: string, origin: RequestOrigin | undefined): Promise<Principal> {
    if (id.length === 0 || id.length > 64) throw unauthorized();
    const row = await this.cache.get(`${kind}:${id}`, () => store.findCredential(this.db.kysely, id, kind));
    if (!row || row.revoked_at !== null || !secretMatches(secret, row.secret_digest)) throw unauthorized();
    return {
      credentialId: row.id,
      kind: row.kind,
      companyId: row.company_id,
      companyCode: row.company_code,
      companyName: row.company_name,
      botId: row.bot_id,
      botName: row.bot_name,
      acting: actingAs({ kind: row.kind, id: row.id }, origin),
    };
  }
}

export class CredentialService {
  constructor(
    private readonly db: Db,
    private readonly companies: CompanyService,
  ) {}

  async createWidgetClient(input: { companyCode: string; botName?: string }): Promise<WidgetClientCreated> {
    const company = await this.companies.get(input.companyCode);
    const botName = (input.botName ?? DEFAULT_BOT_NAME).trim();
    if (botName.length === 0 || botName.length > 200) {
      throw invalid('INVALID_BOT_NAME', 'bot name must be 1-200 characters', [{ field: 'bot', message: '1-200 characters' }]);
    }
    const now = nowIso();
    const bot = await store.findOrCreateBot(this.db.kysely, { id: newUuid(), companyId: company.id, name: botName, now });
    const clientId = newPublicId();
    const clientSecret = newSecret();
    await store.insertCredential(this.db.kysely, {
      id: clientId,
      kind: 'widget_client',
      company_id: company.id,
      bot_id: bot.id,
      name: null,
      secret_digest: digest(clientSecret),
      created_at: now,
    });
    return { clientId, clientSecret, botId: bot.id, companyId: company.id };
  }

  async createToken(kind: TokenKind, input: { companyCode: string; name?: string }): Promise<TokenCreated> {
    const company = await this.companies.get(input.companyCode);
    const name = input.name?.trim();
    if (name !== undefined && (name.length === 0 || name.length > 200)) {
      throw invalid('INVALID_NAME', 'name must be 1-200 characters', [{ field: 'name', message: '1-200 characters' }]);
    }
    const id = newPublicId();
    const secret = newSecret();
    await store.insertCredential(this.db.kysely, {
      id,
      kind,
      company_id: company.id,
      bot_id: null,
      name: name ?? null,
      secret_digest: digest(secret),
      created_at: nowIso(),
    });
    return { id, token: formatToken(TOKEN_PREFIX[kind], id, secret) };
  }

  async list(kind: CredentialKind, companyCode: string): Promise<CredentialSummary[]> {
    const company = await this.companies.get(companyCode);
    const rows = await store.listCredentials(this.db.kysely, company.id, kind);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      botId: r.bot_id,
      botName: r.bot_name,
      createdAt: r.created_at,
      revokedAt: r.revoked_at,
    }));
  }

  async revoke(kind: CredentialKind, id: string): Promise<void> {
    if (!(await store.revokeCredential(this.db.kysely, id, kind, nowIso()))) {
      throw notFound('CREDENTIAL_NOT_FOUND', `no live credential "${id}" of this kind`);
    }
  }
}
