/**
 * The failed-login limit of every email-and-password login (the Plazbot login, the admin console's
 * operators): one sequence, one place. Each login names its own counter keys and its own errors.
 *
 * Both counts are taken atomically before the password is checked, so concurrent guesses cannot all
 * slip in under a limit; past either limit the answer is 429 whatever the password. The IP comes
 * first: a blocked client touches no email's counter and opens no new key however many emails it
 * tries. A refusal for the email is not this client's guessing, so the attempt is taken back from
 * the IP's count. A correct password also takes its attempt back from the IP's count (a busy office
 * behind one address logs in successfully many times) and clears the email's count. An unknown email
 * costs one (dummy) verification all the same.
 */
import { rateLimitKeyForIp } from '../infra/client-ip.js';
import type { CounterStore } from '../infra/counters.js';
import { DomainError, rateLimited, unauthorized } from './errors.js';
import { verifyDummy } from './passwords.js';
import { digest } from './secrets.js';
import { isValidEmail, normalizeEmail } from './users.js';

export interface LoginLimits {
  maxFailuresPerEmail: number;
  maxFailuresPerIp: number;
  windowMs: number;
}

export interface LoginLimiterOptions {
  /** Prefix of the counter keys: `<prefix>:email:<digest>` and `<prefix>:ip:<address key>`. */
  keyPrefix: string;
  /** The 429 past either limit (its Retry-After is the window's remaining seconds). */
  tooMany: { code: string; message: string };
  /** The 401 for an unknown email or a wrong password. */
  invalidCredentials: { code: string; message: string };
}

/** How a login finds the owner of an email and checks a password against them. */
export interface LoginCheck<T> {
  /** The owner of a (normalized, valid) email; undefined when there is none. */
  find: (email: string) => Promise<T | undefined>;
  /** True when `password` is the owner's. */
  verify: (owner: T, password: string) => Promise<boolean>;
}

export class LoginLimiter {
  constructor(
    private readonly counters: CounterStore,
    private readonly limits: LoginLimits,
    private readonly options: LoginLimiterOptions,
  ) {}

  /** The counter keys of an email and a client address. */
  limitKeys(email: string, ip: string): { email: string; ip: string } {
    return { email: this.emailKey(email), ip: `${this.options.keyPrefix}:ip:${rateLimitKeyForIp(ip)}` };
  }

  /**
   * One login attempt: the owner of `email` when `password` is theirs. Throws the 429 past either
   * limit (before anything is looked up) and the 401 for an unknown email or a wrong password, which
   * stays counted on both keys.
   */
  async attempt<T>(input: { email: string; password: string; ip: string }, check: LoginCheck<T>): Promise<T> {
    const email = normalizeEmail(input.email);
    const keys = this.limitKeys(email, input.ip);
    const byIp = await this.counters.increment(keys.ip, this.limits.windowMs);
    if (byIp.count > this.limits.maxFailuresPerIp) throw this.tooMany(byIp.resetInMs);
    const byEmail = await this.counters.increment(keys.email, this.limits.windowMs);
    if (byEmail.count > this.limits.maxFailuresPerEmail) {
      await this.counters.decrement(keys.ip);
      throw this.tooMany(byEmail.resetInMs);
    }
    const owner = isValidEmail(email) ? await check.find(email) : undefined;
    const ok = owner !== undefined ? await check.verify(owner, input.password) : await verifyDummy(input.password);
    if (owner === undefined || !ok) throw unauthorized(this.options.invalidCredentials.code, this.options.invalidCredentials.message);
    await Promise.all([this.counters.reset(keys.email), this.counters.decrement(keys.ip)]);
    return owner;
  }

  /** Forgets an email's failures (after its password was reset). */
  async forgetEmail(email: string): Promise<void> {
    await this.counters.reset(this.emailKey(email));
  }

  private emailKey(email: string): string {
    return `${this.options.keyPrefix}:email:${digest(normalizeEmail(email)).slice(0, 32)}`;
  }

  private tooMany(resetInMs: number): DomainError {
    return rateLimited(this.options.tooMany.code, this.options.tooMany.message, Math.max(1, Math.ceil(resetInMs / 1000)));
  }
}
