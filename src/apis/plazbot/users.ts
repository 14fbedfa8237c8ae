/**
 * Plazbot/Wabotify platform users: created by an integration on behalf of a company, then they log
 * in with email and password, verify their email and reset their password by mail.
 */
import { findCompanyOfUser } from '../../store/companies.js';
import type { Db } from '../../store/db.js';
import * as emailTokens from '../../store/email-tokens.js';
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../../store/schema.js';
import * as sessions from '../../store/sessions.js';
import { inSyncBatch } from '../../store/sync.js';
import { inTransaction } from '../../store/transaction.js';
import * as usersStore from '../../store/users.js';
import { rateLimitKeyForIp } from '../../infra/client-ip.js';
import { nowIso } from '../../infra/clock.js';
import type { Company, CompanyService } from '../../identity/companies.js';
import { afterCredentialChange } from '../../identity/credential-changes.js';
import type { Principal } from '../../identity/credentials.js';
import { EMAIL_TOKEN_RE } from '../../identity/email-tokens.js';
import { forbidden, invalid, notFound, rateLimited, unauthorized, unprocessable, type FieldError } from '../../identity/errors.js';
import { queueMail, queueVerificationUnlessWaiting } from '../../mail/outbox.js';
import { checkPassword, hashPassword, parsePolicy, type PasswordPolicy } from '../../identity/passwords.js';
import { checkLoginPassword } from '../../identity/password-login.js';
import { LoginLimiter } from '../../identity/login-limiter.js';
import type { CounterStore } from '../../infra/counters.js';
import type { MailNotifier } from '../../mail/outbox.js';
import { digest, newSecret } from '../../identity/secrets.js';
import { emailTaken, isActive, isValidEmail, newUserRow, normalizeEmail } from '../../identity/users.js';
import { LIMITS } from './limits.js';
import { recordEvent, recordEventSync } from '../../events/log.js';
import type { Acting, EventType, NewEvent } from '../../events/types.js';
import { presentUser } from './present.js';

export interface CreatePlatformUserInput {
  name: string;
  lastName: string;
  email: string;
  password: string;
  company: string;
  defaultStartWeek: number;
  isExternalCreation: boolean;
}

/** Trimmed, 1-LIMITS.name characters, no control characters. */
function checkName(value: string, field: string, fields: FieldError[]): string {
  const v = value.trim();
  // eslint-disable-next-line no-control-regex
  if (v.length === 0 || [...v].length > LIMITS.name || /[\u0000-\u001f\u007f]/.test(v)) {
    fields.push({ field, message: `must be 1-${LIMITS.name} characters without control characters` });
  }
  return v;
}

const PASSWORD_CODES = {
  TOO_SHORT: 'PASSWORD_TOO_SHORT',
  TOO_LONG: 'PASSWORD_TOO_LONG',
  COMMON: 'PASSWORD_TOO_COMMON',
  CONTAINS_EMAIL: 'PASSWORD_CONTAINS_EMAIL',
} as const;

/** The first password rule broken, as [errorCode, field error]; undefined when it passes. */
function passwordProblem(password: string, email: string, policy: PasswordPolicy, field: string): [string, FieldError] | undefined {
  const v = checkPassword(password, email, policy);
  return v && [PASSWORD_CODES[v.rule], { field, message: v.message }];
}

export interface LoginPolicy {
  maxFailuresPerEmail: number;
  maxFailuresPerIp: number;
  windowMs: number;
  sessionTtlSeconds: number;
}

export interface LoginResult {
  token: string;
  expiresIn: number;
  user: UserRow;
  company: { code: string; name: string };
}

export const SESSION_TOKEN_RE = /^rss_[A-Za-z0-9_-]{43}$/;

export type VerifyOutcome = 'verified' | 'invalid' | 'used' | 'expired';

/**
 * At most `max` reset mails per email per window (past it, requests are answered but send nothing),
 * and `perIp` requests per client per window (past it, 429: that reveals nothing about an email).
 */
export const RESET_MAILS = { max: 3, perIp: 30, windowMs: 15 * 60_000 } as const;

/** A user event; its data is the user as this API presents them. */
const userEvent = (type: EventType, user: UserRow, companyCode: string): NewEvent => ({
  type,
  companyId: user.company_id,
  target: { kind: 'user', id: user.id },
  data: presentUser(user, companyCode),
});

/** Records a user event in `trx`. */
const recordUserEvent = (trx: Kysely<Database>, acting: Acting, type: EventType, user: UserRow, companyCode: string, now: string) =>
  recordEvent(trx, acting, userEvent(type, user, companyCode), now);

const badCode = () =>
  invalid('INVALID_VERIFICATION_CODE', 'The verification code is invalid, used or expired', [
    { field: 'verificationId', message: 'is invalid, used or expired' },
  ]);

export class PlazbotUserService {
  private readonly limiter: LoginLimiter;

  constructor(
    private readonly db: Db,
    private readonly companies: CompanyService,
    private readonly counters: CounterStore,
    private readonly policy: LoginPolicy,
    private readonly mail: MailNotifier,
  ) {
    this.limiter = new LoginLimiter(counters, policy, {
      keyPrefix: 'login-fail',
      tooMany: { code: 'TOO_MANY_LOGIN_ATTEMPTS', message: 'Too many failed logins; try again later' },
      invalidCredentials: { code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' },
    });
  }

  /**
   * POST /api/user. The token's company must be the one named; the email must be free across the
   * installation (the unique index decides races); the password is hashed before the transaction.
   * A company that requires verification gets an unverified user and a verification mail queued in
   * the same transaction.
   */
  async create(principal: Principal, input: CreatePlatformUserInput): Promise<{ user: UserRow; mailQueued: boolean }> {
    const fields: FieldError[] = [];
    const name = checkName(input.name, 'name', fields);
    const lastName = checkName(input.lastName, 'lastName', fields);
    const email = normalizeEmail(input.email);
    if (!isValidEmail(email)) fields.push({ field: 'email', message: 'is not a valid email address' });
    if (fields.length > 0) throw invalid('VALIDATION_FAILED', `Invalid body: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`, fields);

    const company = await this.companies.find(input.company);
    if (!company)
      throw invalid('UNKNOWN_COMPANY', `No company with code "${input.company.slice(0, 64)}"`, [{ field: 'company', message: 'is not a known company code' }]);
    if (company.id !== principal.companyId) throw forbidden('COMPANY_MISMATCH', 'This token may not create users for that company');

    const problem = passwordProblem(input.password, email, company.passwordPolicy, 'password');
    if (problem) throw invalid(problem[0], `Password rejected: ${problem[1].message}`, [problem[1]]);

    const passwordHash = await hashPassword(input.password);
    const verified = !company.requireEmailVerification;
    const now = nowIso();
    const row = newUserRow(
      {
        companyId: company.id,
        email,
        name,
        lastName,
        passwordHash,
        emailVerified: verified,
        defaultStartWeek: input.defaultStartWeek,
        isExternalCreation: input.isExternalCreation,
        createdVia: 'plazbot',
      },
      now,
    );
    // On SQLite, a verified user (no mail to queue) is written in a group commit with the other
    // sign-ups of this turn of the event loop (store/sync.ts): no promise per statement, one commit
    // for the group. Every microsecond the event loop does not spend is left to the hashing threads,
    // which take only the CPU it leaves (issue 15).
    const grouped = verified
      ? inSyncBatch(this.db.kysely, (trx) => {
          const user = usersStore.insertBaseUserSync(trx, row);
          if (user) recordEventSync(trx, principal.acting, userEvent('user.created', user, company.code), now);
          return user;
        })
      : undefined;
    const done = grouped && (await grouped);
    if (done) {
      if (!done.value) throw emailTaken();
      return { user: done.value, mailQueued: false };
    }
    return inTransaction(this.db.kysely, async (trx) => {
      const user = await usersStore.insertBaseUser(trx, row);
      if (!user) throw emailTaken();
      if (!verified) await queueMail(trx, 'verify_email', user);
      await recordUserEvent(trx, principal.acting, 'user.created', user, company.code, now);
      return { user, mailQueued: !verified };
    });
  }

  /**
   * GET /api/user/email: a user of the token's company by email. A user of another company is as
   * absent as no user at all, so a token learns nothing about other tenants.
   */
  async findByEmail(principal: Principal, rawEmail: string): Promise<UserRow> {
    const email = normalizeEmail(rawEmail);
    if (!isValidEmail(email))
      throw invalid('VALIDATION_FAILED', 'Invalid querystring: email is not a valid email address', [
        { field: 'email', message: 'is not a valid email address' },
      ]);
    const user = await usersStore.findUserByEmail(this.db.kysely, email);
    if (!user || user.company_id !== principal.companyId) throw notFound('USER_NOT_FOUND', 'No user with this email in your company');
    return user;
  }

  /**
   * POST /api/user/login. A deactivated user is refused (403) after the password checks. Past the failure limit (per client IP or per email) the answer is 429
   * before the password is even looked at, so a correct password does not get through either, and
   * concurrent guesses cannot overshoot the limit. An unknown email costs the same argon2
   * verification as a wrong password. The stored hash may be in any format `roster import` accepts;
   * the first successful login re-hashes it with roster's argon2id (identity/password-login.ts).
   */
  async login(input: { email: string; password: string; ip: string }): Promise<LoginResult> {
    // Any accepted hash format (imported bcrypt, scrypt, ...); a correct password upgrades the
    // stored hash to roster's argon2id.
    const user = await this.limiter.attempt(input, {
      find: (email) => usersStore.findUserByEmail(this.db.kysely, email),
      verify: (found, password) => checkLoginPassword(this.db.kysely, found, password),
    });
    // Said only to whoever knows the password: a deactivated user (SCIM active: false) is kept, not let in.
    if (!isActive(user)) throw forbidden('USER_DEACTIVATED', 'This user is deactivated');

    const company = await findCompanyOfUser(this.db.kysely, user.id);
    if (!company) throw unauthorized('INVALID_CREDENTIALS', 'Invalid email or password');
    if (company.require_email_verification === 1 && user.email_verified_at === null) {
      const queued = await this.queueVerificationIfDue(user);
      if (queued) this.mail.notify();
      throw forbidden(
        'EMAIL_NOT_VERIFIED',
        queued ? 'Verify your email first; a new verification link was sent' : 'Verify your email first: follow the link that was emailed to you',
      );
    }

    const token = `rss_${newSecret()}`;
    const now = new Date();
    const nowText = now.toISOString();
    const opened = await sessions.insertSession(this.db.kysely, this.db.kind, {
      tokenDigest: digest(token),
      userId: user.id,
      credentialVersion: user.credential_version,
      now: nowText,
      expiresAt: new Date(now.getTime() + this.policy.sessionTtlSeconds * 1000).toISOString(),
    });
    // The password checked is no longer the user's (changed meanwhile), the user was deactivated,
    // or the user was deleted.
    if (!opened) throw unauthorized('INVALID_CREDENTIALS', 'Invalid email or password');
    return { token, expiresIn: this.policy.sessionTtlSeconds, user, company: { code: company.code, name: company.name } };
  }

  /**
   * An unverified user whose link was lost or expired gets a new one, at most one waiting at a time
   * (however many logins ask at once). True when this call queued it. Exported for tests.
   */
  async queueVerificationIfDue(user: UserRow): Promise<boolean> {
    if (await emailTokens.hasLiveEmailToken(this.db.kysely, user.id, 'verify_email', nowIso())) return false;
    // At most one waiting: concurrent logins meet at the outbox's unique index, one queues.
    return queueVerificationUnlessWaiting(this.db.kysely, user);
  }

  /** GET /api/user/me: the session's user; 401 for an unknown, malformed or expired token. */
  async resolveSession(token: string): Promise<{ user: UserRow; companyCode: string }> {
    if (!SESSION_TOKEN_RE.test(token)) throw unauthorized('INVALID_SESSION', 'Missing, invalid or expired session token');
    const found = await sessions.findSessionUser(this.db.kysely, digest(token), nowIso());
    if (!found) throw unauthorized('INVALID_SESSION', 'Missing, invalid or expired session token');
    return found;
  }

  /** GET /api/user/verify-email: consumes the link's token (single use) and marks the email verified. */
  async verifyEmail(token: string | undefined, acting: Acting): Promise<VerifyOutcome> {
    if (!token || !EMAIL_TOKEN_RE.test(token)) return 'invalid';
    const tokenDigest = digest(token);
    const now = nowIso();
    const consumed = await inTransaction(this.db.kysely, async (trx) => {
      const row = await emailTokens.consumeEmailToken(trx, { tokenDigest, purpose: 'verify_email', now });
      if (!row) return undefined;
      const user = await usersStore.findUserForUpdate(trx, row.user_id);
      // Verified already (a reset code proved the mailbox first): the link is used up, nothing changes.
      if (user && user.email_verified_at === null) {
        const verified = await usersStore.updateUser(trx, row.user_id, { email_verified_at: now, updated_at: now });
        const company = verified && (await findCompanyOfUser(trx, verified.id));
        if (verified && company) await recordUserEvent(trx, acting, 'user.email_verified', verified, company.code, now);
      }
      return row;
    });
    if (consumed) return 'verified';
    const row = await emailTokens.findEmailToken(this.db.kysely, tokenDigest, 'verify_email');
    if (!row) return 'invalid';
    return row.used_at !== null ? 'used' : 'expired';
  }

  /**
   * POST /api/user/sendEmailToResetPassword. The answer, and the time it takes, do not depend on
   * whether the email exists: the part before the answer is the same work for any email (the
   * client's limit, the email's mail counter), and the lookup and queueing run after it, in
   * `queued`. When the email is a user's (of `company`, when one is named) a code is mailed.
   * `queued` never rejects: a failure goes to `onError` and resolves false.
   */
  async requestPasswordReset(
    input: { email: string; company?: string | undefined; ip: string },
    onError: (err: unknown) => void = () => {},
  ): Promise<{ queued: Promise<boolean> }> {
    const byIp = await this.counters.increment(`reset-ip:${rateLimitKeyForIp(input.ip)}`, RESET_MAILS.windowMs);
    if (byIp.count > RESET_MAILS.perIp) {
      throw rateLimited('TOO_MANY_REQUESTS', 'Too many password reset requests; try again later', Math.max(1, Math.ceil(byIp.resetInMs / 1000)));
    }
    const email = normalizeEmail(input.email);
    if (!isValidEmail(email))
      throw invalid('VALIDATION_FAILED', 'Invalid body: email is not a valid email address', [{ field: 'email', message: 'is not a valid email address' }]);
    // Counted for every address, registered or not, so this costs the same either way.
    const sent = await this.counters.increment(`reset-mail:${digest(email).slice(0, 32)}`, RESET_MAILS.windowMs);
    if (sent.count > RESET_MAILS.max) return { queued: Promise.resolve(false) };
    const queued = this.queuePasswordReset(email, input.company).catch((err: unknown) => {
      onError(err);
      return false;
    });
    return { queued };
  }

  private async queuePasswordReset(email: string, companyCode: string | undefined): Promise<boolean> {
    const user = await usersStore.findUserByEmail(this.db.kysely, email);
    if (!user) return false;
    if (companyCode !== undefined) {
      const company: Company | undefined = await this.companies.find(companyCode);
      if (!company || company.id !== user.company_id) return false;
    }
    await queueMail(this.db.kysely, 'reset_password', user);
    return true;
  }

  /**
   * POST /api/user/resetPassword. The code must be live and belong to the email's user; the new
   * password follows the company's policy (422 otherwise, as Plazbot documents). On success the code
   * and every other reset code die, every session of the user is ended, and the email counts as
   * verified (the code proved the mailbox).
   */
  async resetPassword(input: { email: string; newPassword: string; verificationId: string }, acting: Acting): Promise<void> {
    const email = normalizeEmail(input.email);
    if (!EMAIL_TOKEN_RE.test(input.verificationId) || !isValidEmail(email)) throw badCode();
    const user = await usersStore.findUserByEmail(this.db.kysely, email);
    if (!user) throw badCode();
    const tokenDigest = digest(input.verificationId);
    const row = await emailTokens.findEmailToken(this.db.kysely, tokenDigest, 'reset_password');
    const now = nowIso();
    if (!row || row.user_id !== user.id || row.used_at !== null || row.expires_at <= now) throw badCode();

    const company = await findCompanyOfUser(this.db.kysely, user.id);
    const problem = passwordProblem(input.newPassword, email, parsePolicy(company?.password_policy ?? null), 'newPassword');
    if (problem) throw unprocessable(problem[0], `Password rejected: ${problem[1].message}`, [problem[1]]);

    const passwordHash = await hashPassword(input.newPassword);
    await inTransaction(this.db.kysely, async (trx) => {
      const t = nowIso();
      const consumed = await emailTokens.consumeEmailToken(trx, { tokenDigest, purpose: 'reset_password', now: t, userId: user.id });
      if (!consumed) throw badCode();
      const changed = await usersStore.updateUser(trx, user.id, {
        password_hash: passwordHash,
        ...(user.email_verified_at === null && { email_verified_at: t }),
        updated_at: t,
      });
      // Every other reset code dies and every session ends, as after a change through Chatwoot.
      await afterCredentialChange(trx, user.id, { emailChanged: false, passwordChanged: true }, t);
      if (changed && company) {
        await recordUserEvent(trx, acting, 'user.password_changed', changed, company.code, t);
        // The code proved the mailbox.
        if (user.email_verified_at === null) await recordUserEvent(trx, acting, 'user.email_verified', changed, company.code, t);
      }
    });
    await this.limiter.forgetEmail(email);
  }
}
