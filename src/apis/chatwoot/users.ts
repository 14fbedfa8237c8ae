/**
 * Users through the Chatwoot Platform API. The identity is the installation's one users table
 * (shared with the Plazbot API: one person, one email, one company); this module adds Chatwoot's
 * rules: its password complexity, confirmed users, get-by-email-and-link on create, merged custom
 * attributes, stable access and pubsub tokens shown in every body (kept sealed under the
 * installation key beside the digests token checks look up), and single-use login links.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../store/db.js';
import { membershipsOfUser, type Membership } from '../../store/account-users.js';
import { findCompanyById } from '../../store/companies.js';
import { isUniqueViolation } from '../../store/errors.js';
import { link, unlinkAll } from '../../store/permissibles.js';
import { inTransaction } from '../../store/transaction.js';
import * as store from '../../store/user-tokens.js';
import * as usersStore from '../../store/users.js';
import type { NewUser, UserRow } from '../../store/schema.js';
import type { UserPatch } from '../../store/users.js';
import { mintToken, USER_TOKEN_PREFIX } from './access-tokens.js';
import { nowIso } from '../../infra/clock.js';
import { afterCredentialChange } from '../../identity/credential-changes.js';
import type { Principal } from '../../identity/credentials.js';
import { checkPassword, hashPassword, parsePolicy } from '../../identity/passwords.js';
import { unprocessable } from '../../identity/errors.js';
import { appIdOf, recordNotFound, type AuthorizedId, type Permissions } from './permissions.js';
import { charLength, MESSAGES, RecordErrors } from './record-errors.js';
import { digest, newSecret } from '../../identity/secrets.js';
import { emailTaken, isActive, isValidEmail, newUserRow, normalizeEmail, type UserDirectory } from '../../identity/users.js';
import { storedObject } from '../../infra/stored-json.js';
import { checkFreeFormField } from './free-form.js';
import { LIMITS as CHATWOOT_LIMITS } from './limits.js';
import { recordEvent } from '../../events/log.js';
import type { Acting } from '../../events/types.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { eventData } from './present.js';
import type { SecretBox } from '../../infra/secret-box.js';
import type { AvatarService } from './avatars.js';

const LIMITS = CHATWOOT_LIMITS.user;

/** How long a login link works, once. */
export const SSO_TOKEN_TTL_MS = 5 * 60 * 1000;
/** The most login links of one user that work at the same time (older ones stop working). */
export const SSO_TOKENS_PER_USER = 10;

/** Chatwoot's special characters for passwords. */
export const PASSWORD_SPECIALS = ' !@#$%^&*()_+-=[]{}|"/\\.,<>:;?~\'`';

/** The messages (after "Password") for each of Chatwoot's password rules the password breaks. */
export function chatwootPasswordErrors(password: string): string[] {
  const out: string[] = [];
  const n = charLength(password);
  if (n < LIMITS.passwordMin) out.push(MESSAGES.tooShort(LIMITS.passwordMin));
  if (n > LIMITS.passwordMax) out.push(MESSAGES.tooLong(LIMITS.passwordMax));
  if (!/[A-Z]/.test(password)) out.push('must contain at least one uppercase letter');
  if (!/[a-z]/.test(password)) out.push('must contain at least one lowercase letter');
  if (!/[0-9]/.test(password)) out.push('must contain at least one digit');
  if (![...password].some((c) => PASSWORD_SPECIALS.includes(c))) out.push('must contain at least one special character');
  return out;
}

export interface PlatformUser {
  id: number;
  companyId: number;
  email: string;
  name: string;
  displayName: string | null;
  messageSignature: string | null;
  confirmed: boolean;
  customAttributes: Record<string, unknown>;
  uiSettings: Record<string, unknown>;
  /** Every membership, oldest first. */
  accounts: Array<{ id: number; name: string; activeAt: string | null; role: string }>;
  /** The most recently active membership (never active: the oldest); null without any. */
  activeAccount: { id: number; role: string } | null;
  /** The uploaded avatar's URL, else the avatar_url given, else "". */
  avatarUrl: string;
  /** The user's access token; null when they have none, or only a digest of one from before migration 011. */
  accessToken: string | null;
  /** The user's pubsub token; null when only its digest is kept (a user created before migration 011 or by another API). */
  pubsubToken: string | null;
}

export interface UserParams {
  name?: string | null | undefined;
  display_name?: string | null | undefined;
  email?: string | null | undefined;
  password?: string | null | undefined;
  custom_attributes?: Record<string, unknown> | null | undefined;
  avatar_url?: string | null | undefined;
  avatar?: unknown;
}

function activeOf(ms: Membership[]): Membership | undefined {
  let best: Membership | undefined;
  for (const m of ms) {
    if (!best || (m.active_at !== null && (best.active_at === null || m.active_at > best.active_at))) best = m;
  }
  return best;
}

/** Checks an email param; the normalized address, or undefined when it is not one (errors noted). */
function checkEmail(raw: string | null | undefined, errors: RecordErrors): string | undefined {
  if (raw === undefined || raw === null || raw.trim() === '') {
    errors.add('email', MESSAGES.blank);
    return undefined;
  }
  const email = normalizeEmail(raw);
  if (!isValidEmail(email)) {
    errors.add('email', MESSAGES.invalid);
    return undefined;
  }
  return email;
}

export class ChatwootUserService {
  constructor(
    private readonly db: Db,
    private readonly permissions: Permissions,
    private readonly users: UserDirectory,
    /** Login links point at `<frontendUrl>/app/login`. */
    private readonly frontendUrl: string,
    /** Seals and opens the tokens Chatwoot shows again. */
    private readonly secrets: SecretBox,
    private readonly avatars: AvatarService,
  ) {}

  /** The user with their memberships and tokens, read on `db` (the open transaction, when there is one). */
  private async view(row: UserRow, db: Kysely<Database> = this.db.kysely): Promise<PlatformUser> {
    const memberships = await membershipsOfUser(db, row.id);
    const active = activeOf(memberships);
    const sealedAccess = await store.findSealedAccessToken(db, row.id);
    return {
      id: row.id,
      companyId: row.company_id,
      email: row.email,
      name: row.name,
      displayName: row.display_name,
      messageSignature: row.message_signature,
      confirmed: row.email_verified_at !== null,
      customAttributes: storedObject(row.custom_attributes),
      uiSettings: storedObject(row.ui_settings),
      accounts: memberships.map((m) => ({ id: m.account_id, name: m.account_name, activeAt: m.active_at, role: m.role })),
      activeAccount: active ? { id: active.account_id, role: active.role } : null,
      avatarUrl: await this.avatars.urlOf(db, { userId: row.id }, row.avatar_url),
      accessToken: sealedAccess ? this.secrets.open(sealedAccess) : null,
      pubsubToken: row.pubsub_token_sealed ? this.secrets.open(row.pubsub_token_sealed) : null,
    };
  }

  /** Chatwoot's rules, then the company's policy; the argon2id hash when the password passes. */
  private async checkAndHashPassword(companyId: number, password: string, email: string, errors: RecordErrors): Promise<string | undefined> {
    let messages = chatwootPasswordErrors(password);
    const company = await findCompanyById(this.db.kysely, companyId);
    const violation = checkPassword(password, email, parsePolicy(company?.password_policy ?? null));
    if (violation) {
      // One length message: the company's, when its bound is the one broken (it is the stricter).
      const same =
        violation.rule === 'TOO_SHORT'
          ? MESSAGES.tooShort(LIMITS.passwordMin)
          : violation.rule === 'TOO_LONG'
            ? MESSAGES.tooLong(LIMITS.passwordMax)
            : undefined;
      messages = messages.filter((m) => m !== same);
      messages.push(violation.message);
    }
    for (const m of messages) errors.add('password', m);
    return messages.length === 0 ? hashPassword(password) : undefined;
  }

  /**
   * Returns the user with this email, linking them to the app, when they are of the app's company
   * (Chatwoot's behaviour: the name and password sent are ignored and nothing about them changes).
   * A user of another company is refused as a taken email, and nothing is linked.
   */
  private async linkExisting(principal: Principal, existing: UserRow): Promise<PlatformUser> {
    if (existing.company_id !== principal.companyId) throw emailTaken();
    await link(this.db.kysely, appIdOf(principal), 'User', existing.id, nowIso());
    return this.view(existing);
  }

  /**
   * POST /users. A new email creates a confirmed user of the app's company, with an access token and
   * a pubsub token (sealed, shown in every body); an existing email of the same company returns that
   * user unchanged and links them to the app. A new user needs a password (Devise's validatable).
   */
  async createOrLink(principal: Principal, params: UserParams): Promise<{ user: PlatformUser; created: boolean }> {
    const errors = new RecordErrors();
    const email = checkEmail(params.email, errors);
    if (email === undefined) throw errors.toError();

    const existing = await this.users.findByEmail(email);
    if (existing) return { user: await this.linkExisting(principal, existing), created: false };

    const name = errors.text('name', params.name, { max: LIMITS.name, required: true });
    const displayName = errors.text('display_name', params.display_name, { max: LIMITS.displayName });
    const avatar = this.avatars.check(params, errors);
    // Hashed before the transaction opens, never inside it.
    // Devise's validatable: a new user needs a password ("Password can't be blank").
    if (!params.password) errors.add('password', MESSAGES.blank);
    const passwordHash = params.password ? await this.checkAndHashPassword(principal.companyId, params.password, email, errors) : null;
    if (!errors.empty || typeof name !== 'string') throw errors.toError();

    const pubsubToken = newSecret();
    const access = mintToken(USER_TOKEN_PREFIX);
    const row: NewUser = newUserRow(
      {
        companyId: principal.companyId,
        email,
        name,
        displayName: displayName || null,
        passwordHash: passwordHash ?? null,
        emailVerified: true,
        customAttributes: params.custom_attributes ?? {},
        createdVia: 'chatwoot',
      },
      nowIso(),
      pubsubToken,
    );
    row.pubsub_token_sealed = this.secrets.seal(pubsubToken);
    row.avatar_url = avatar.url ?? null;
    const sealedAccess = { ...access, sealed: this.secrets.seal(access.token) };
    // The user, their access token and the app's link in one transaction; the unique index on email
    // decides a race, and the loser writes nothing.
    const inserted = await inTransaction(this.db.kysely, async (trx) => {
      const user = await usersStore.insertUser(trx, row);
      if (!user) return undefined;
      await store.insertUserAccessToken(trx, user.id, sealedAccess, row.created_at);
      await this.avatars.apply(trx, { userId: user.id }, avatar, row.created_at);
      await link(trx, appIdOf(principal), 'User', user.id, row.created_at);
      await recordEvent(
        trx,
        principal.acting,
        { type: 'user.created', companyId: user.company_id, target: { kind: 'user', id: user.id }, data: eventData.user(await this.view(user, trx)) },
        row.created_at,
      );
      return user;
    });
    if (inserted) return { user: await this.view(inserted), created: true };

    // Lost a race for this email: whoever won decides, as if it had existed all along.
    const winner = await this.users.findByEmail(email);
    if (!winner) throw emailTaken();
    return { user: await this.linkExisting(principal, winner), created: false };
  }

  async get(id: AuthorizedId<'User'>): Promise<PlatformUser> {
    const row = await this.users.findById(id);
    if (!row) throw recordNotFound();
    return this.view(row);
  }

  /**
   * PATCH/PUT /users/:id: changes what is sent. custom_attributes are merged into the stored ones;
   * an email change is immediate and must be free; a password follows the rules and is rehashed.
   * Either change ends the user's sessions and kills their mailed codes (see afterCredentialChange).
   */
  async update(principal: Principal, id: AuthorizedId<'User'>, params: UserParams): Promise<PlatformUser> {
    const current = await this.users.findById(id);
    if (!current) throw recordNotFound();
    const errors = new RecordErrors();
    const patch: UserPatch = {};
    if (params.name !== undefined) patch.name = errors.text('name', params.name, { max: LIMITS.name, required: true })!;
    if (params.display_name !== undefined) patch.display_name = errors.text('display_name', params.display_name, { max: LIMITS.displayName }) || null;
    let email = current.email;
    if (params.email !== undefined) {
      const e = checkEmail(params.email, errors);
      if (e !== undefined) email = patch.email = e;
    }
    const avatar = this.avatars.check(params, errors);
    if (avatar.url !== undefined) patch.avatar_url = avatar.url;
    if (params.password !== undefined && params.password !== null) {
      if (params.password === '') errors.add('password', MESSAGES.blank);
      else {
        const hash = await this.checkAndHashPassword(principal.companyId, params.password, email, errors);
        if (hash) patch.password_hash = hash;
      }
    }
    errors.throwIfAny();

    const attributes = params.custom_attributes ?? undefined;
    let row: UserRow | undefined;
    try {
      const now = nowIso();
      // Read (locked) and written in one transaction, so concurrent merges of custom attributes
      // both land.
      row = await inTransaction(this.db.kysely, async (trx) => {
        const before = await usersStore.findUserForUpdate(trx, id);
        if (!before) return undefined;
        const after = await usersStore.updateUser(trx, id, {
          ...patch,
          ...(attributes && { custom_attributes: mergedAttributes(before, attributes) }),
          updated_at: now,
        });
        // In the same transaction: a reset code mailed to the old address, or a session opened with
        // the old password, stops working with the change.
        if (after) {
          await this.avatars.apply(trx, { userId: id }, avatar, now);
          const passwordChanged = patch.password_hash !== undefined;
          await afterCredentialChange(trx, id, { emailChanged: after.email !== before.email, passwordChanged }, now);
          // user.updated for what a client can see change; user.password_changed for the password.
          const data = eventData.user(await this.view(after, trx));
          const event = { companyId: after.company_id, target: { kind: 'user', id }, data };
          const profileSent =
            ['name', 'display_name', 'email', 'avatar_url'].some((k) => k in patch) || attributes !== undefined || avatar.upload !== undefined;
          if (profileSent) await recordEvent(trx, principal.acting, { type: 'user.updated', ...event }, now);
          if (passwordChanged) await recordEvent(trx, principal.acting, { type: 'user.password_changed', ...event }, now);
        }
        return after;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw emailTaken();
      throw err;
    }
    if (!row) throw recordNotFound();
    return this.view(row);
  }

  /**
   * Deletes the user at once, with their memberships, tokens and links (Chatwoot queues it). Of
   * concurrent deletes of one user one deletes it; the others find it gone (404, as a delete after
   * it would), their unlinking of any app's leftover links kept.
   */
  async delete(acting: Acting, id: AuthorizedId<'User'>): Promise<void> {
    // Memberships and tokens go with the row (foreign keys cascade); every app's links go here.
    const deleted = await inTransaction(this.db.kysely, async (trx) => {
      const user = await usersStore.findUserForUpdate(trx, id);
      // The event holds the user as they were, memberships included.
      const data = user && eventData.user(await this.view(user, trx));
      await unlinkAll(trx, 'User', [id]);
      if (!user || !data || !(await usersStore.deleteUser(trx, id))) return false;
      await recordEvent(trx, acting, { type: 'user.deleted', companyId: user.company_id, target: { kind: 'user', id }, data });
      return true;
    });
    if (!deleted) throw recordNotFound();
  }

  /**
   * GET /users/:id/login: a link that logs the user in to the frontend once, within five minutes
   * (none for a deactivated user: 422).
   * The token is 256 random bits as 64 hex characters; only its digest is stored.
   */
  async issueLoginUrl(id: AuthorizedId<'User'>): Promise<string> {
    const row = await this.users.findById(id);
    if (!row) throw recordNotFound();
    if (!isActive(row)) throw unprocessable('USER_DEACTIVATED', 'User is deactivated', [{ field: 'user', message: 'is deactivated' }]);
    const token = randomBytes(32).toString('hex');
    const now = Date.now();
    const nowText = new Date(now).toISOString();
    // A loop of login calls cannot pile up valid tokens: the user's expired ones and all but their
    // newest SSO_TOKENS_PER_USER - 1 go as the new one is stored.
    await inTransaction(this.db.kysely, async (trx) => {
      await store.deleteExpiredSsoTokens(trx, row.id, nowText);
      await store.keepNewestSsoTokens(trx, row.id, SSO_TOKENS_PER_USER - 1);
      await store.insertSsoToken(trx, { digest: digest(token), userId: row.id, expiresAt: new Date(now + SSO_TOKEN_TTL_MS).toISOString(), now: nowText });
    });
    return `${this.frontendUrl}/app/login?email=${encodeURIComponent(row.email)}&sso_auth_token=${token}`;
  }

  /**
   * Redeems a login link's token for the user with this email: true exactly once per token, within
   * its five minutes. For the frontend's login endpoint.
   */
  async redeemLoginToken(email: string, token: string): Promise<UserRow | undefined> {
    if (!/^[0-9a-f]{64}$/.test(token)) return undefined;
    const user = await this.users.findByEmail(email);
    if (!user || !isActive(user)) return undefined;
    return (await store.consumeSsoToken(this.db.kysely, digest(token), user.id, nowIso())) ? user : undefined;
  }

  /**
   * POST /users/:id/token: the user's access token and pubsub token, as Chatwoot answers: the ones
   * they have. Only a user without a readable one (none yet, or a digest-only token from before
   * migration 011) gets a new one, minted and sealed here; the digest-only one then stops working.
   */
  async issueToken(id: AuthorizedId<'User'>): Promise<PlatformUser> {
    const row = await inTransaction(this.db.kysely, async (trx) => {
      const user = await usersStore.findUserForUpdate(trx, id);
      if (!user) return undefined;
      if (!(await store.findSealedAccessToken(trx, id))) {
        const access = mintToken(USER_TOKEN_PREFIX);
        await store.replaceUserAccessToken(trx, id, { ...access, sealed: this.secrets.seal(access.token) }, nowIso());
      }
      if (!user.pubsub_token_sealed) {
        const pubsubToken = newSecret();
        const sealed = this.secrets.seal(pubsubToken);
        await store.setPubsubToken(trx, id, { digest: digest(pubsubToken), sealed });
        return { ...user, pubsub_token_sealed: sealed };
      }
      return user;
    });
    if (!row) throw recordNotFound();
    return this.view(row);
  }
}

/** The stored custom attributes with `attributes` merged over them, within the free-form limits (422). */
function mergedAttributes(current: UserRow, attributes: Record<string, unknown>): string {
  const merged = { ...storedObject(current.custom_attributes), ...attributes };
  checkFreeFormField('custom_attributes', merged);
  return JSON.stringify(merged);
}
