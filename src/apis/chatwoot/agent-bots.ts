/**
 * Agent bots: automated agents an account can hand conversations to, reached at their outgoing URL.
 * A bot belongs to the company of the platform app that created it, optionally to one of its
 * accounts, and has an access token, shown in every body as Chatwoot does (kept sealed under the
 * installation key beside the digest that token checks look up).
 */
import type { SecretBox } from '../../infra/secret-box.js';
import type { AvatarService } from './avatars.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Db } from '../../store/db.js';
import * as store from '../../store/agent-bots.js';
import { link, unlinkAll } from '../../store/permissibles.js';
import { inTransaction } from '../../store/transaction.js';
import { isForeignKeyViolation } from '../../store/errors.js';
import type { AgentBotRow } from '../../store/schema.js';
import { AGENT_BOT_TOKEN_PREFIX, mintToken } from './access-tokens.js';
import { nowIso } from '../../infra/clock.js';
import type { Principal } from '../../identity/credentials.js';
import { appIdOf, parseId, recordNotFound, type AuthorizedId, type Permissions } from './permissions.js';
import { MESSAGES, RecordErrors, recordInvalid } from './record-errors.js';
import { LIMITS as CHATWOOT_LIMITS } from './limits.js';
import { recordEvent } from '../../events/log.js';
import type { Acting } from '../../events/types.js';
import { eventData } from './present.js';

const LIMITS = CHATWOOT_LIMITS.agentBot;

export interface AgentBot {
  id: number;
  name: string;
  description: string | null;
  outgoingUrl: string | null;
  accountId: number | null;
  /** The bot's access token; null for a bot from before migration 011 (only its digest was kept). */
  accessToken: string | null;
  /** The uploaded avatar's URL, else the avatar_url given, else "". */
  avatarUrl: string;
}

export interface AgentBotParams {
  name?: string | null | undefined;
  description?: string | null | undefined;
  outgoing_url?: string | null | undefined;
  account_id?: unknown;
  avatar_url?: string | null | undefined;
  avatar?: unknown;
}

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** The account was deleted between the check and the write. */
const accountGone = (): never => {
  throw recordInvalid('account', MESSAGES.mustExist);
};

export class AgentBotService {
  constructor(
    private readonly db: Db,
    private readonly permissions: Permissions,
    private readonly secrets: SecretBox,
    private readonly avatars: AvatarService,
  ) {}

  private async toAgentBot(r: AgentBotRow, db: Kysely<Database> = this.db.kysely): Promise<AgentBot> {
    return {
      avatarUrl: await this.avatars.urlOf(db, { agentBotId: r.id }, r.avatar_url),
      id: r.id,
      name: r.name,
      description: r.description,
      outgoingUrl: r.outgoing_url,
      accountId: r.account_id,
      accessToken: r.access_token_sealed ? this.secrets.open(r.access_token_sealed) : null,
    };
  }

  private async check(principal: Principal, params: AgentBotParams, creating: boolean) {
    const errors = new RecordErrors();
    const out: Partial<Pick<AgentBotRow, 'name' | 'description' | 'outgoing_url' | 'account_id' | 'avatar_url'>> = {};
    const avatar = this.avatars.check(params, errors);
    if (avatar.url !== undefined) out.avatar_url = avatar.url;
    const name = errors.text('name', params.name, { max: LIMITS.name, required: creating || params.name !== undefined });
    if (typeof name === 'string') out.name = name;
    if (params.description !== undefined) out.description = errors.text('description', params.description, { max: LIMITS.description }) ?? null;
    if (params.outgoing_url !== undefined) {
      const url = errors.text('outgoing_url', params.outgoing_url, { max: LIMITS.outgoingUrl });
      if (typeof url === 'string' && url !== '' && !isHttpUrl(url)) errors.add('outgoing_url', MESSAGES.invalid);
      out.outgoing_url = url || null;
    }
    if (params.account_id !== undefined && params.account_id !== null && params.account_id !== '') {
      const accountId = parseId(params.account_id);
      if (accountId === undefined || !(await this.permissions.isVisible(principal, 'Account', accountId))) errors.add('account', MESSAGES.mustExist);
      else out.account_id = accountId;
    } else if (params.account_id !== undefined) out.account_id = null;
    errors.throwIfAny();
    return { cols: out, avatar };
  }

  async create(principal: Principal, params: AgentBotParams): Promise<AgentBot> {
    const { cols, avatar } = await this.check(principal, params, true);
    const name = cols.name;
    if (name === undefined) throw recordInvalid('name', MESSAGES.blank);
    const token = mintToken(AGENT_BOT_TOKEN_PREFIX);
    const now = nowIso();
    try {
      // The bot and the app's link to it, in one transaction.
      const row = await inTransaction(this.db.kysely, async (trx) => {
        const bot = await store.insertAgentBot(trx, {
          company_id: principal.companyId,
          account_id: cols.account_id ?? null,
          name,
          description: cols.description ?? null,
          outgoing_url: cols.outgoing_url ?? null,
          access_token_id: token.id,
          access_token_digest: token.digest,
          access_token_sealed: this.secrets.seal(token.token),
          avatar_url: cols.avatar_url ?? null,
          created_at: now,
          updated_at: now,
        });
        await link(trx, appIdOf(principal), 'AgentBot', bot.id, now);
        await this.avatars.apply(trx, { agentBotId: bot.id }, avatar, now);
        await recordEvent(
          trx,
          principal.acting,
          {
            type: 'agent_bot.created',
            companyId: bot.company_id,
            target: { kind: 'agent_bot', id: bot.id },
            data: eventData.agentBot(await this.toAgentBot(bot, trx)),
          },
          now,
        );
        return bot;
      });
      return await this.toAgentBot(row);
    } catch (err) {
      if (isForeignKeyViolation(err)) accountGone();
      throw err;
    }
  }

  async list(principal: Principal): Promise<AgentBot[]> {
    return Promise.all((await store.listAgentBotsForApp(this.db.kysely, appIdOf(principal), principal.companyId)).map((r) => this.toAgentBot(r)));
  }

  async get(id: AuthorizedId<'AgentBot'>): Promise<AgentBot> {
    const row = await store.findAgentBot(this.db.kysely, id);
    if (!row) throw recordNotFound();
    return this.toAgentBot(row);
  }

  async update(principal: Principal, id: AuthorizedId<'AgentBot'>, params: AgentBotParams): Promise<AgentBot> {
    const { cols, avatar } = await this.check(principal, params, false);
    let row: AgentBotRow | undefined;
    try {
      row = await inTransaction(this.db.kysely, async (trx) => {
        const now = nowIso();
        const updated = await store.updateAgentBot(trx, id, { ...cols, updated_at: now });
        if (updated) {
          await this.avatars.apply(trx, { agentBotId: id }, avatar, now);
          await recordEvent(
            trx,
            principal.acting,
            {
              type: 'agent_bot.updated',
              companyId: updated.company_id,
              target: { kind: 'agent_bot', id },
              data: eventData.agentBot(await this.toAgentBot(updated, trx)),
            },
            now,
          );
        }
        return updated;
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) accountGone();
      throw err;
    }
    if (!row) throw recordNotFound();
    return this.toAgentBot(row);
  }

  /**
   * DELETE /agent_bots/:id/avatar: removes the uploaded avatar and the avatar_url (Chatwoot purges the
   * attached image); records agent_bot.updated when there was one. Answers the bot.
   */
  async removeAvatar(acting: Acting, id: AuthorizedId<'AgentBot'>): Promise<AgentBot> {
    const row = await inTransaction(this.db.kysely, async (trx) => {
      const bot = await store.findAgentBot(trx, id);
      if (!bot) return undefined;
      const removed = await this.avatars.remove(trx, { agentBotId: id });
      if (!removed && bot.avatar_url === null) return bot;
      const now = nowIso();
      const updated = (await store.updateAgentBot(trx, id, { avatar_url: null, updated_at: now })) ?? bot;
      await recordEvent(
        trx,
        acting,
        {
          type: 'agent_bot.updated',
          companyId: updated.company_id,
          target: { kind: 'agent_bot', id },
          data: eventData.agentBot(await this.toAgentBot(updated, trx)),
        },
        now,
      );
      return updated;
    });
    if (!row) throw recordNotFound();
    return this.toAgentBot(row);
  }

  async delete(acting: Acting, id: AuthorizedId<'AgentBot'>): Promise<void> {
    // Of concurrent deletes one deletes it; the others find it gone: 404, as a delete after it would get.
    const deleted = await inTransaction(this.db.kysely, async (trx) => {
      const bot = await store.findAgentBot(trx, id);
      await unlinkAll(trx, 'AgentBot', [id]);
      if (!bot || !(await store.deleteAgentBot(trx, id))) return false;
      await recordEvent(trx, acting, {
        type: 'agent_bot.deleted',
        companyId: bot.company_id,
        target: { kind: 'agent_bot', id },
        data: eventData.agentBot(await this.toAgentBot(bot, trx)),
      });
      return true;
    });
    if (!deleted) throw recordNotFound();
  }
}
