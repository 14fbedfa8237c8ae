/**
 * The people who run roster: operators of the admin console (/admin). Made and removed on the
 * server's shell (`roster operator ...`); they log in with email and password (argon2id, the same
 * failed-login limits as the Plazbot login, counted under keys of their own) and get an opaque
 * session token, stored as its SHA-256 digest, that ends on logout or at its expiry.
 */
import { randomBytes } from 'node:crypto';
import { recordEvent } from '../events/log.js';
import { actingAs, type Acting, type RequestOrigin } from '../events/types.js';
import { nowIso } from '../infra/clock.js';
import type { CounterStore } from '../infra/counters.js';
import type { Db } from '../store/db.js';
import * as store from '../store/operators.js';
import type { OperatorRow } from '../store/schema.js';
import { inTransaction } from '../store/transaction.js';
import { conflict, invalid, notFound } from './errors.js';
import { LoginLimiter } from './login-limiter.js';
import { rehashIfNeeded } from './password-login.js';
import { checkPassword, DEFAULT_PASSWORD_POLICY, hashPassword, verifyPassword, type PasswordPolicy } from './passwords.js';
import { digest, newSecret } from './secrets.js';
import { isValidEmail, normalizeEmail } from './users.js';

export interface Operator {
  id: number;
  email: string;
  createdAt: string;
}

/** An operator's password: the default policy, at least 12 characters. */
export const OPERATOR_PASSWORD_POLICY: PasswordPolicy = { ...DEFAULT_PASSWORD_POLICY, minLength: 12 };

/**
 * A password for a new operator (`roster operator create` without one): 144 random bits, drawn
 * again until the policy accepts it (a random string can happen to contain the email's local part).
 */
export function generateOperatorPassword(email: string, random: () => string = () => randomBytes(18).toString('base64url')): string {
  for (;;) {
    const password = random();
    if (checkPassword(password, email, OPERATOR_PASSWORD_POLICY) === undefined) return password;
  }
}

export interface OperatorLoginPolicy {
  maxFailuresPerEmail: number;
  maxFailuresPerIp: number;
  windowMs: number;
  sessionTtlSeconds: number;
}

export interface OperatorSession {
  /** The opaque token for the cookie: shown only to the browser that logged in. */
  token: string;
  operator: Operator;
  expiresAt: string;
}

/** The operator behind a live session. */
export interface SignedIn {
  operator: Operator;
  /** Acting as this operator (actor kind `operator`, id the operator's id) from a request. */
  acting: Acting;
}

export const OPERATOR_TOKEN_RE = /^ros_[A-Za-z0-9_-]{43}$/;

const toOperator = (r: OperatorRow): Operator => ({ id: Number(r.id), email: r.email, createdAt: r.created_at });

export class OperatorService {
  private readonly limiter: LoginLimiter;

  constructor(
    private readonly db: Db,
    counters: CounterStore,
    private readonly policy: OperatorLoginPolicy,
  ) {
    this.limiter = new LoginLimiter(counters, policy, {
      keyPrefix: 'operator-login-fail',
      tooMany: { code: 'TOO_MANY_LOGIN_ATTEMPTS', message: 'Too many failed logins; try again later' },
      invalidCredentials: { code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' },
    });
  }

  get sessionTtlSeconds(): number {
    return this.policy.sessionTtlSeconds;
  }

  async create(input: { email: string; password: string }, acting: Acting): Promise<Operator> {
    const email = normalizeEmail(input.email);
    if (!isValidEmail(email)) throw invalid('INVALID_EMAIL', `"${input.email.slice(0, 100)}" is not a valid email address`);
    const v = checkPassword(input.password, email, OPERATOR_PASSWORD_POLICY);
    if (v) throw invalid('INVALID_PASSWORD', `the password ${v.message}`);
    const passwordHash = await hashPassword(input.password);
    const now = nowIso();
    const created = await inTransaction(this.db.kysely, async (trx) => {
      const row = await store.insertOperator(trx, { email, passwordHash, now });
      if (!row) return undefined;
      const op = toOperator(row);
      await recordEvent(trx, acting, { type: 'operator.created', companyId: null, target: { kind: 'operator', id: op.id }, data: { ...op } }, now);
      return op;
    });
    if (!created) throw conflict('OPERATOR_EXISTS', `an operator with email ${email} already exists`);
    return created;
  }

  async list(): Promise<Operator[]> {
    return (await store.listOperators(this.db.kysely)).map(toOperator);
  }

  /** Removes an operator by email; their sessions end with them. */
  async remove(rawEmail: string, acting: Acting): Promise<Operator> {
    const email = normalizeEmail(rawEmail);
    const removed = await inTransaction(this.db.kysely, async (trx) => {
      const row = await store.findOperatorByEmail(trx, email);
      const gone = row && (await store.deleteOperator(trx, row.id));
      if (!gone) return undefined;
      const op = toOperator(gone);
      await recordEvent(trx, acting, { type: 'operator.removed', companyId: null, target: { kind: 'operator', id: op.id }, data: { ...op } });
      return op;
    });
    if (!removed) throw notFound('OPERATOR_NOT_FOUND', `no operator with email ${email}`);
    return removed;
  }

  /**
   * Logs an operator in under the same failed-login limits as the Plazbot login (LoginLimiter),
   * counted under keys of their own: past either limit the answer is 429 whatever the password. An
   * unknown email costs one verification all the same. A hash that is not at roster's own argon2id
   * parameters (an operator from before they changed) is replaced after a successful login, as a
   * user's is (password-login.ts); if that fails, the login stands and the next one tries again.
   */
  async login(input: { email: string; password: string; ip: string }): Promise<OperatorSession> {
    const row = await this.limiter.attempt(input, {
      find: (email) => store.findOperatorByEmail(this.db.kysely, email),
      verify: (op, password) => verifyPassword(op.password_hash, password),
    });
    await rehashIfNeeded(row.password_hash, input.password, (next) => store.replaceOperatorPasswordHash(this.db.kysely, row.id, row.password_hash, next));

    const token = `ros_${newSecret()}`;
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.policy.sessionTtlSeconds * 1000).toISOString();
    await store.purgeExpiredOperatorSessions(this.db.kysely, now.toISOString());
    await store.insertOperatorSession(this.db.kysely, { tokenDigest: digest(token), operatorId: row.id, now: now.toISOString(), expiresAt });
    return { token, operator: toOperator(row), expiresAt };
  }

  /** The operator of a live session; undefined for a token unknown, ended or expired. */
  async authenticate(token: string, origin: RequestOrigin): Promise<SignedIn | undefined> {
    if (!OPERATOR_TOKEN_RE.test(token)) return undefined;
    const found = await store.findSessionOperator(this.db.kysely, digest(token), nowIso());
    if (!found) return undefined;
    return {
      operator: { id: found.id, email: found.email, createdAt: '' },
      acting: actingAs({ kind: 'operator', id: String(found.id) }, origin),
    };
  }

  /** Ends a session (logout). */
  async logout(token: string): Promise<void> {
    if (OPERATOR_TOKEN_RE.test(token)) await store.deleteOperatorSession(this.db.kysely, digest(token));
  }
}
