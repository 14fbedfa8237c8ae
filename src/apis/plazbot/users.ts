/**
 * Plazbot/Wabotify platform users: created by an integration on behalf of a company, then they log
 * in with email and password, verify their email and reset their password by mail.
 */
import { findCompanyOfUser } from '../../store/companies.js';
import type { Db } from '../../store/db.js';
import * as emailTokens from '../../store/email-tokens.js';
import type { UserRow } from '../../store/schema.js';
import * as sessions from '../../store/sessions.js';
import { inTransaction } from '../../store/transaction.js';
import * as usersStore from '../../store/users.js';
import { rateLimitKeyForIp } from '../../infra/client-ip.js';
import { nowIso } from '../../infra/clock.js';
import { findCompany, type Company } from '../../identity/companies.js';
import { afterCredentialChange } from '../../identity/credential-changes.js';
import type { Principal } from '../../identity/credentials.js';
import { EMAIL_TOKEN_RE } from '../../identity/email-tokens.js';
import { forbidden, invalid, notFound, rateLimited, unauthorized, unprocessable, type FieldError } from '../../identity/errors.js';
import { queueMail, queueVerificationUnlessWaiting } from '../../mail/outbox.js';
import { checkPassword, hashPassword, parsePolicy, verifyDummy, verifyPassword, type PasswordPolicy } from '../../identity/passwords.js';
import type { CounterStore } from '../../infra/counters.js';
import { digest, newSecret } from '../../identity/secrets.js';
import { emailTaken, isValidEmail, newUserRow, normalizeEmail } from '../../identity/users.js';

export interface CreatePlatformUserInput {
  name: string;
  lastName: string;
  email: string;
  password: string;
  company: string;
  defaultStartWeek: number;
  isExternalCreation: boolean;
}

export const NAME_MAX = 100;

/** Trimmed, 1-NAME_MAX characters, no control characters. */
function checkName(value: string, field: string, fields: FieldError[]): string {
  const v = value.trim();
  // eslint-disable-next-line no-control-regex
  if (v.length === 0 || [...v].length > NAME_MAX || /[\u0000-\u001f\u007f]/.test(v)) {
    fields.push({ field, message: `must be 1-${NAME_MAX} characters without control characters` });
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

/**
 * POST /api/user. The token's company must be the one named; the email must be free across the
 * installation (the unique index decides races); the password is hashed before the transaction.
 * A company that requires verification gets an unverified user and a verification mail queued in
 * the same transaction.
 */
export async function createPlatformUser(db: Db, principal: Principal, input: CreatePlatformUserInput): Promise<{ user: UserRow; mailQueued: boolean }> {
  const fields: FieldError[] = [];
  const name = checkName(input.name, 'name', fields);
  const lastName = checkName(input.lastName, 'lastName', fields);
  const email = normalizeEmail(input.email);
  if (!isValidEmail(email)) fields.push({ field: 'email', message: 'is not a valid email address' });
  if (fields.length > 0) throw invalid('VALIDATION_FAILED', `Invalid body: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`, fields);

  const company = await findCompany(db, input.company);
  if (!company)
    throw invalid('UNKNOWN_COMPANY', `No company with code "${input.company.slice(0, 64)}"`, [{ field: 'company', message: 'is not a known company code' }]);
  if (company.id !== principal.companyId) throw forbidden('COMPANY_MISMATCH', 'This token may not create users for that company');

  const problem = passwordProblem(input.password, email, company.passwordPolicy, 'password');
  if (problem) throw invalid(problem[0], `Password rejected: ${problem[1].message}`, [problem[1]]);

  const passwordHash = await hashPassword(input.password);
  const verified = !company.requireEmailVerification;
  return inTransaction(db.db, async (trx) => {
    const user = await usersStore.insertUser(
      trx,
      newUserRow(
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
        nowIso(),
      ),
    );
    if (!user) throw emailTaken();
    if (!verified) await queueMail(trx, 'verify_email', user);
    return { user, mailQueued: !verified };
  });
}

/**
 * GET /api/user/email: a user of the token's company by email. A user of another company is as
 * absent as no user at all, so a token learns nothing about other tenants.
 */
export async function findCompanyUserByEmail(db: Db, principal: Principal, rawEmail: string): Promise<UserRow> {
  const email = normalizeEmail(rawEmail);
  if (!isValidEmail(email))
    throw invalid('VALIDATION_FAILED', 'Invalid querystring: email is not a valid email address', [
      { field: 'email', message: 'is not a valid email address' },
    ]);
  const user = await usersStore.findUserByEmail(db.db, email);
  if (!user || user.company_id !== principal.companyId) throw notFound('USER_NOT_FOUND', 'No user with this email in your company');
  return user;
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

const limitKeys = (email: string, ip: string) => ({
  email: `login-fail:email:${digest(email).slice(0, 32)}`,
  ip: `login-fail:ip:${rateLimitKeyForIp(ip)}`,
});

/**
 * POST /api/user/login. Past the failure limit (per client IP or per email) the answer is 429
 * before the password is even looked at, so a correct password does not get through either, and
 * concurrent guesses cannot overshoot the limit. An unknown email costs the same argon2
 * verification as a wrong password.
 */
export async function login(
  db: Db,
  counters: CounterStore,
  policy: LoginPolicy,
  input: { email: string; password: string; ip: string },
  onMailQueued: () => void = () => {},
): Promise<LoginResult> {
  const email = normalizeEmail(input.email);
  const keys = limitKeys(email, input.ip);
  const tooMany = (resetInMs: number) =>
    rateLimited('TOO_MANY_LOGIN_ATTEMPTS', 'Too many failed logins; try again later', Math.max(1, Math.ceil(resetInMs / 1000)));
  // Both counts are taken atomically before the password is checked, so concurrent guesses cannot
  // all slip in under a limit. The IP comes first: a blocked client touches no email's counter and
  // opens no new key however many emails it tries. A correct password takes its attempt back from
  // the IP's count (a busy office behind one address logs in successfully many times) and clears
  // the email's count.
  const byIp = await counters.increment(keys.ip, policy.windowMs);
  if (byIp.count > policy.maxFailuresPerIp) throw tooMany(byIp.resetInMs);
  const byEmail = await counters.increment(keys.email, policy.windowMs);
  if (byEmail.count > policy.maxFailuresPerEmail) {
    // Refused for the email, not for this client's guessing: the attempt does not count on the IP.
    await counters.decrement(keys.ip);
    throw tooMany(byEmail.resetInMs);
  }

  const user = isValidEmail(email) ? await usersStore.findUserByEmail(db.db, email) : undefined;
  const ok = user?.password_hash ? await verifyPassword(user.password_hash, input.password) : await verifyDummy(input.password);
  if (!user || !ok) throw unauthorized('INVALID_CREDENTIALS', 'Invalid email or password');
  await Promise.all([counters.reset(keys.email), counters.decrement(keys.ip)]);

  const company = await findCompanyOfUser(db.db, user.id);
  if (!company) throw unauthorized('INVALID_CREDENTIALS', 'Invalid email or password');
  if (company.require_email_verification === 1 && user.email_verified_at === null) {
    const queued = await queueVerificationIfDue(db, user);
    if (queued) onMailQueued();
    throw forbidden(
      'EMAIL_NOT_VERIFIED',
      queued ? 'Verify your email first; a new verification link was sent' : 'Verify your email first: follow the link that was emailed to you',
    );
  }

  const token = `rss_${newSecret()}`;
  const now = new Date();
  const nowText = now.toISOString();
  const opened = await sessions.insertSession(db.db, db.kind, {
    tokenDigest: digest(token),
    userId: user.id,
    credentialVersion: user.credential_version,
    now: nowText,
    expiresAt: new Date(now.getTime() + policy.sessionTtlSeconds * 1000).toISOString(),
  });
  // The password checked is no longer the user's (changed meanwhile), or the user was deleted.
  if (!opened) throw unauthorized('INVALID_CREDENTIALS', 'Invalid email or password');
  return { token, expiresIn: policy.sessionTtlSeconds, user, company: { code: company.code, name: company.name } };
}

/**
 * An unverified user whose link was lost or expired gets a new one, at most one waiting at a time
 * (however many logins ask at once). True when this call queued it. Exported for tests.
 */
export async function queueVerificationIfDue(db: Db, user: UserRow): Promise<boolean> {
  if (await emailTokens.hasLiveEmailToken(db.db, user.id, 'verify_email', nowIso())) return false;
  // At most one waiting: concurrent logins meet at the outbox's unique index, one queues.
  return queueVerificationUnlessWaiting(db.db, user);
}

/** GET /api/user/me: the session's user; 401 for an unknown, malformed or expired token. */
export async function resolveSession(db: Db, token: string): Promise<{ user: UserRow; companyCode: string }> {
  if (!SESSION_TOKEN_RE.test(token)) throw unauthorized('INVALID_SESSION', 'Missing, invalid or expired session token');
  const found = await sessions.findSessionUser(db.db, digest(token), nowIso());
  if (!found) throw unauthorized('INVALID_SESSION', 'Missing, invalid or expired session token');
  return found;
}

export type VerifyOutcome = 'verified' | 'invalid' | 'used' | 'expired';

/** GET /api/user/verify-email: consumes the link's token (single use) and marks the email verified. */
export async function verifyEmail(db: Db, token: string | undefined): Promise<VerifyOutcome> {
  if (!token || !EMAIL_TOKEN_RE.test(token)) return 'invalid';
  const tokenDigest = digest(token);
  const now = nowIso();
  const consumed = await inTransaction(db.db, async (trx) => {
    const row = await emailTokens.consumeEmailToken(trx, { tokenDigest, purpose: 'verify_email', now });
    if (row) await usersStore.updateUser(trx, row.user_id, { email_verified_at: now, updated_at: now });
    return row;
  });
  if (consumed) return 'verified';
  const row = await emailTokens.findEmailToken(db.db, tokenDigest, 'verify_email');
  if (!row) return 'invalid';
  return row.used_at !== null ? 'used' : 'expired';
}

/**
 * At most `max` reset mails per email per window (past it, requests are answered but send nothing),
 * and `perIp` requests per client per window (past it, 429: that reveals nothing about an email).
 */
export const RESET_MAILS = { max: 3, perIp: 30, windowMs: 15 * 60_000 } as const;

/**
 * POST /api/user/sendEmailToResetPassword. The answer, and the time it takes, do not depend on
 * whether the email exists: the part before the answer is the same work for any email (the
 * client's limit, the email's mail counter), and the lookup and queueing run after it, in
 * `queued`. When the email is a user's (of `company`, when one is named) a code is mailed.
 * `queued` never rejects: a failure goes to `onError` and resolves false.
 */
export async function requestPasswordReset(
  db: Db,
  counters: CounterStore,
  input: { email: string; company?: string | undefined; ip: string },
  onError: (err: unknown) => void = () => {},
): Promise<{ queued: Promise<boolean> }> {
  const byIp = await counters.increment(`reset-ip:${rateLimitKeyForIp(input.ip)}`, RESET_MAILS.windowMs);
  if (byIp.count > RESET_MAILS.perIp) {
    throw rateLimited('TOO_MANY_REQUESTS', 'Too many password reset requests; try again later', Math.max(1, Math.ceil(byIp.resetInMs / 1000)));
  }
  const email = normalizeEmail(input.email);
  if (!isValidEmail(email))
    throw invalid('VALIDATION_FAILED', 'Invalid body: email is not a valid email address', [{ field: 'email', message: 'is not a valid email address' }]);
  // Counted for every address, registered or not, so this costs the same either way.
  const sent = await counters.increment(`reset-mail:${digest(email).slice(0, 32)}`, RESET_MAILS.windowMs);
  if (sent.count > RESET_MAILS.max) return { queued: Promise.resolve(false) };
  const queued = queuePasswordReset(db, email, input.company).catch((err: unknown) => {
    onError(err);
    return false;
  });
  return { queued };
}

async function queuePasswordReset(db: Db, email: string, companyCode: string | undefined): Promise<boolean> {
  const user = await usersStore.findUserByEmail(db.db, email);
  if (!user) return false;
  if (companyCode !== undefined) {
    const company: Company | undefined = await findCompany(db, companyCode);
    if (!company || company.id !== user.company_id) return false;
  }
  await queueMail(db.db, 'reset_password', user);
  return true;
}

const badCode = () =>
  invalid('INVALID_VERIFICATION_CODE', 'The verification code is invalid, used or expired', [
    { field: 'verificationId', message: 'is invalid, used or expired' },
  ]);

/**
 * POST /api/user/resetPassword. The code must be live and belong to the email's user; the new
 * password follows the company's policy (422 otherwise, as Plazbot documents). On success the code
 * and every other reset code die, every session of the user is ended, and the email counts as
 * verified (the code proved the mailbox).
 */
export async function resetPassword(db: Db, counters: CounterStore, input: { email: string; newPassword: string; verificationId: string }): Promise<void> {
  const email = normalizeEmail(input.email);
  if (!EMAIL_TOKEN_RE.test(input.verificationId) || !isValidEmail(email)) throw badCode();
  const user = await usersStore.findUserByEmail(db.db, email);
  if (!user) throw badCode();
  const tokenDigest = digest(input.verificationId);
  const row = await emailTokens.findEmailToken(db.db, tokenDigest, 'reset_password');
  const now = nowIso();
  if (!row || row.user_id !== user.id || row.used_at !== null || row.expires_at <= now) throw badCode();

  const company = await findCompanyOfUser(db.db, user.id);
  const problem = passwordProblem(input.newPassword, email, parsePolicy(company?.password_policy ?? null), 'newPassword');
  if (problem) throw unprocessable(problem[0], `Password rejected: ${problem[1].message}`, [problem[1]]);

  const passwordHash = await hashPassword(input.newPassword);
  await inTransaction(db.db, async (trx) => {
    const t = nowIso();
    const consumed = await emailTokens.consumeEmailToken(trx, { tokenDigest, purpose: 'reset_password', now: t, userId: user.id });
    if (!consumed) throw badCode();
    await usersStore.updateUser(trx, user.id, {
      password_hash: passwordHash,
      ...(user.email_verified_at === null && { email_verified_at: t }),
      updated_at: t,
    });
    // Every other reset code dies and every session ends, as after a change through Chatwoot.
    await afterCredentialChange(trx, user.id, { emailChanged: false, passwordChanged: true }, t);
  });
  await counters.reset(limitKeys(email, '').email);
}
