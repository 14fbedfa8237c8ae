/**
 * Failed API-credential checks (a Jelou client secret, a Plazbot API token, a Chatwoot platform
 * app token), counted per client address and per credential id in the rate-limit counters (shared
 * through Redis when REDIS_URL is set). Wraps the route hooks' Authenticator calls.
 *
 * - An address past its limit gets 429 for every credential check, before the secret is even
 *   looked at, until its window closes: it cannot guess on, and a correct secret does not get
 *   through either. Other addresses are not affected.
 * - A credential id past its limit (failures from any number of addresses) turns each further
 *   failed check against it into a 429. A correct secret still passes: client ids are public (a
 *   widget's page carries one), and locking the id would let anyone take its integration down,
 *   while its secret is 256 random bits that guessing cannot reach. The count shows the attack
 *   (the 429s, a warning in the log) without locking the owner out.
 *
 * Only failures are counted, so a good credential costs one counter read. Concurrent guesses from
 * one address can overshoot its limit by their number, no more.
 */
import { DomainError, rateLimited } from '../../identity/errors.js';
import type { CredentialKind } from '../../identity/credentials.js';
import { rateLimitKeyForIp } from '../../infra/client-ip.js';
import type { CounterStore } from '../../infra/counters.js';

export interface CredentialLimits {
  enabled: boolean;
  /** Failed checks one address may make within a window. */
  maxFailuresPerIp: number;
  /** Failed checks against one credential id, from any address, within a window. */
  maxFailuresPerCredential: number;
  windowSeconds: number;
}

export interface PresentedCredential {
  kind: CredentialKind;
  /** The public id presented (a client id, a token's id), when the presented text has one. */
  id: string | undefined;
}

/** Ids are newPublicId()'s 16 hex: anything else names no credential and opens no counter. */
const ID_RE = /^[0-9a-f]{16}$/;

export class CredentialGuard {
  constructor(
    private readonly counters: CounterStore,
    private readonly limits: CredentialLimits,
    private readonly warn: (fields: Record<string, unknown>, msg: string) => void = () => {},
  ) {}

  /** Runs `check` (an Authenticator call) for a credential presented from `ip`, counting its failure. */
  async check<T>(ip: string, credential: PresentedCredential, check: () => Promise<T>): Promise<T> {
    if (!this.limits.enabled) return check();
    const windowMs = this.limits.windowSeconds * 1000;
    const ipKey = `cred-fail:ip:${rateLimitKeyForIp(ip)}`;
    const byIp = await this.counters.get(ipKey);
    if (byIp.count >= this.limits.maxFailuresPerIp) throw tooMany(byIp.resetInMs || windowMs);
    try {
      return await check();
    } catch (err) {
      if (!(err instanceof DomainError) || err.kind !== 'unauthorized') throw err;
      const id = credential.id !== undefined && ID_RE.test(credential.id) ? credential.id : undefined;
      const [, byId] = await Promise.all([
        this.counters.increment(ipKey, windowMs),
        id === undefined ? undefined : this.counters.increment(`cred-fail:id:${credential.kind}:${id}`, windowMs),
      ]);
      if (byId && byId.count > this.limits.maxFailuresPerCredential) {
        if (byId.count === this.limits.maxFailuresPerCredential + 1) {
          this.warn({ kind: credential.kind, credentialId: id, failures: byId.count }, 'credential under attack: failed checks past its limit');
        }
        throw tooMany(byId.resetInMs);
      }
      throw err;
    }
  }
}

const tooMany = (resetInMs: number) =>
  rateLimited('TOO_MANY_FAILED_CREDENTIALS', 'Too many failed credential checks; try again later', Math.max(1, Math.ceil(resetInMs / 1000)));
