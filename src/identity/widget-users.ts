/**
 * Jelou's widget users: a company's end customers, keyed by the integration's own id, unique per
 * bot. The first sighting creates the user with a personal room and a group room; later sightings
 * return the same rows, refreshing the names and legal id when they changed.
 */
import type { Db } from '../store/db.js';
import * as store from '../store/widget-users.js';
import { inTransaction } from '../store/transaction.js';
import { recordEvent } from '../events/log.js';
import type { WidgetUserRecord } from '../store/widget-users.js';
import { nowIso } from '../infra/clock.js';
import type { Principal } from './credentials.js';
import { invalid, type FieldError } from './errors.js';
import { newObjectId, newUuid } from './secrets.js';

export type { WidgetUserRecord };

export interface WidgetUserInput {
  id: string;
  names: string;
  /** Omitted: keep what is stored. */
  legalId?: string | undefined;
}

/** A widget user's limits: what the Jelou API and the import both check. */
export const WIDGET_USER_LIMITS = { id: 255, names: 255, legalId: 64 } as const;
const LIMITS = WIDGET_USER_LIMITS;

const NUL = '\u0000';

function check(input: WidgetUserInput): void {
  const fields: FieldError[] = [];
  if (input.id.length < 1 || input.id.length > LIMITS.id) fields.push({ field: 'user.id', message: `must be 1-${LIMITS.id} characters` });
  if (input.names.length < 1 || input.names.length > LIMITS.names) fields.push({ field: 'user.names', message: `must be 1-${LIMITS.names} characters` });
  if (input.legalId !== undefined && input.legalId.length > LIMITS.legalId)
    fields.push({ field: 'user.legalId', message: `must be at most ${LIMITS.legalId} characters` });
  // PostgreSQL cannot store NUL in text, and no real id or name holds one: refused on every store.
  for (const [field, value] of [
    ['user.id', input.id],
    ['user.names', input.names],
    ['user.legalId', input.legalId],
  ] as const) {
    if (value?.includes(NUL) && !fields.some((f) => f.field === field)) fields.push({ field, message: 'must not contain NUL characters' });
  }
  if (fields.length > 0) throw invalid('VALIDATION_FAILED', 'The request body is invalid', fields);
}

/**
 * Jelou's room id for a user's personal room. Group rooms are keyed by their group id under another
 * prefix, so no user id a client chooses (another user's groupId, say) can collide with one.
 */
export const personalRoomId = (botId: string, referenceId: string) => `G:${botId}:${referenceId}`;
export const groupRoomId = (botId: string, groupId: string) => `GR:${botId}:${groupId}`;
const roomNames = (names: string) => ({ personal: names, group: `${names} (group)` });

export class WidgetUserService {
  constructor(private readonly db: Db) {}

  async getOrCreate(principal: Principal, input: WidgetUserInput): Promise<{ user: WidgetUserRecord; created: boolean }> {
    check(input);
    const botId = principal.botId;
    if (botId === null) throw new Error('widget principal without a bot');

    const existing = await store.findWidgetUser(this.db.kysely, botId, input.id);
    if (existing) return { user: await this.refresh(existing, input), created: false };

    const now = nowIso();
    const groupId = newUuid();
    const names = roomNames(input.names);
    const rooms: store.NewRoom[] = [
      { oid: newObjectId(), id: personalRoomId(botId, input.id), kind: 'personal', name: names.personal, lastMessageAt: now, createdAt: now, updatedAt: now },
      { oid: newObjectId(), id: groupRoomId(botId, groupId), kind: 'group', name: names.group, lastMessageAt: now, createdAt: now, updatedAt: now },
    ];
    // The user, both rooms and their four memberships in one transaction; the unique index on
    // (bot, reference id) decides a race, and the loser writes nothing.
    const inserted = await inTransaction(this.db.kysely, async (trx) => {
      const id = await store.insertWidgetUser(trx, {
        bot_id: botId,
        company_id: principal.companyId,
        reference_id: input.id,
        names: input.names,
        legal_id: input.legalId ?? null,
        socket_id: newUuid(),
        provider_id: newUuid(),
        group_id: groupId,
        created_at: now,
        updated_at: now,
      });
      if (id === undefined) return false;
      await store.insertRooms(trx, { id, botId, referenceId: input.id }, rooms);
      await recordEvent(
        trx,
        principal.acting,
        {
          type: 'widget_user.created',
          companyId: principal.companyId,
          target: { kind: 'widget_user', id: input.id },
          data: { id: input.id, names: input.names, legalId: input.legalId ?? null, botId },
        },
        now,
      );
      return true;
    });
    const user = await store.findWidgetUser(this.db.kysely, botId, input.id);
    if (!user) throw new Error('widget user vanished after get-or-create');
    // Lost the race: another request created this user first. Its rows stand; apply our profile.
    return inserted ? { user, created: true } : { user: await this.refresh(user, input), created: false };
  }

  private async refresh(user: WidgetUserRecord, input: WidgetUserInput): Promise<WidgetUserRecord> {
    const legalId = input.legalId ?? user.legalId;
    if (user.names === input.names && user.legalId === legalId) return user;
    const now = nowIso();
    const names = roomNames(input.names);
    // The rooms carry the user's names, so they follow in the same transaction.
    await inTransaction(this.db.kysely, async (trx) => {
      await store.updateWidgetUser(trx, user.id, { names: input.names, legalId, now });
      for (const kind of ['personal', 'group'] as const) await store.renameRoom(trx, user.id, kind, names[kind], now);
    });
    return {
      ...user,
      names: input.names,
      legalId,
      updatedAt: now,
      rooms: {
        personal: { ...user.rooms.personal, name: names.personal, updatedAt: now },
        group: { ...user.rooms.group, name: names.group, updatedAt: now },
      },
    };
  }
}
