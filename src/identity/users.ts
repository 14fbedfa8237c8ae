/**
 * People who log in: one identity per email across the whole installation, whichever API created
 * them. A user belongs to one company.
 */
import type { Db } from '../store/db.js';
import type { UserCreatedVia, UserRow } from '../store/schema.js';
import * as store from '../store/users.js';
import { nowIso } from '../infra/clock.js';
import { conflict } from './errors.js';
import { digest, newSecret } from './secrets.js';
import { isValidEmail, normalizeEmail } from './email.js';

export type { UserRow, UserCreatedVia };

export { isValidEmail, normalizeEmail };

/** False for a deactivated user (SCIM `active: false`): no API lets them log in. */
export const isActive = (user: Pick<UserRow, 'active'>): boolean => user.active !== 0;

export interface NewUserInput {
  companyId: number;
  email: string;
  name: string;
  lastName?: string | null;
  displayName?: string | null;
  passwordHash: string | null;
  emailVerified: boolean;
  defaultStartWeek?: number;
  isExternalCreation?: boolean;
  customAttributes?: Record<string, unknown>;
  createdVia: UserCreatedVia;
}

/**
 * The one "email taken" error of every API: a conflict, which Plazbot answers 409 and Chatwoot 422
 * ("Email has already been taken", in its ActiveModel wording).
 */
export const emailTaken = () => conflict('EMAIL_TAKEN', 'A user with this email already exists', [{ field: 'email', message: 'has already been taken' }]);

/**
 * The row a new user is stored as. The pubsub token is a bearer capability: only its digest is
 * kept. Pass one to show it to the caller once; by default a fresh one nobody sees is drawn.
 */
export function newUserRow(input: NewUserInput, now: string, pubsubToken: string = newSecret()): store.BaseNewUser {
  return {
    company_id: input.companyId,
    email: normalizeEmail(input.email),
    name: input.name,
    last_name: input.lastName ?? null,
    display_name: input.displayName ?? null,
    password_hash: input.passwordHash,
    email_verified_at: input.emailVerified ? now : null,
    default_start_week: input.defaultStartWeek ?? 0,
    is_external_creation: input.isExternalCreation === false ? 0 : 1,
    custom_attributes: JSON.stringify(input.customAttributes ?? {}),
    ui_settings: '{}',
    message_signature: null,
    pubsub_token_digest: digest(pubsubToken),
    created_via: input.createdVia,
    created_at: now,
    updated_at: now,
  };
}

export class UserDirectory {
  constructor(private readonly db: Db) {}

  /**
   * Creates a user. The unique index on email decides races: exactly one concurrent create of an
   * email succeeds, the others get EMAIL_TAKEN. Hash the password before calling this.
   */
  async create(input: NewUserInput): Promise<UserRow> {
    const row = await store.insertBaseUser(this.db.kysely, newUserRow(input, nowIso()));
    if (!row) throw emailTaken();
    return row;
  }

  async findByEmail(email: string): Promise<UserRow | undefined> {
    return store.findUserByEmail(this.db.kysely, normalizeEmail(email));
  }

  async findById(id: number): Promise<UserRow | undefined> {
    return store.findUserById(this.db.kysely, id);
  }
}
