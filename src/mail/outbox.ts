/**
 * Mail, through an outbox table. A message is queued in the same transaction as the change that
 * calls for it, and sent later by a background sender, so a request never waits for SMTP and
 * nothing is lost while the SMTP server is down: failed sends are retried with exponential backoff.
 *
 * The outbox holds no secret: a message names a template and a user, and the token its link or
 * code carries is minted (and only its digest stored) at the moment the message is sent.
 *
 * Several nodes may share the database: each message is claimed by one conditional UPDATE, so it
 * is sent by one node only; a node that dies mid-send loses its claim when the lease lapses.
 */
import type { Kysely } from 'kysely';
import type { Db } from '../store/db.js';
import * as store from '../store/outbox.js';
import { findUserById } from '../store/users.js';
import { findCompanyOfUser } from '../store/companies.js';
import type { Database, NewOutboxMessage, OutboxRow, OutboxStatus, OutboxTemplate } from '../store/schema.js';
import { nowIso } from '../infra/clock.js';
import { DrainingLoops } from '../infra/draining-loops.js';
import { mintEmailToken, TOKEN_TTL_MS } from '../identity/email-tokens.js';
import { newUuid } from '../identity/secrets.js';
import { notFound } from '../identity/errors.js';
import { recordEvent } from '../events/log.js';
import type { Acting } from '../events/types.js';
import { inTransaction } from '../store/transaction.js';

export type { OutboxTemplate, OutboxStatus };

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Sends one message; throws on failure (PermanentMailError when a retry cannot help). */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** The SMTP server refused the message for good (a 5xx reply): it is not retried. */
export class PermanentMailError extends Error {}

/** Lets a request wake this node's sender when it queued a message. */
export interface MailNotifier {
  notify(): void;
}

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Queues a message; pass the transaction of the change that calls for it. */
function newMessage(template: OutboxTemplate, user: { id: number; email: string }): Omit<NewOutboxMessage, 'id'> {
  const now = nowIso();
  return {
    template,
    user_id: user.id,
    to_address: user.email,
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    claimed_by: null,
    lease_until: null,
    last_error: null,
    created_at: now,
    updated_at: now,
    sent_at: null,
  };
}

export async function queueMail(db: Kysely<Database>, template: OutboxTemplate, user: { id: number; email: string }): Promise<number> {
  return store.enqueue(db, newMessage(template, user));
}

/**
 * Queues a verification mail unless one is already waiting for the user (pending or being sent).
 * The unique index decides concurrent callers: exactly one queues. True when this call queued it.
 */
export async function queueVerificationUnlessWaiting(db: Kysely<Database>, user: { id: number; email: string }): Promise<boolean> {
  return (await store.enqueueUnlessWaiting(db, newMessage('verify_email', user))) !== undefined;
}

export interface OutboxEntry {
  id: number;
  template: OutboxTemplate;
  to: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

/** Exponential backoff with "equal jitter": between half and all of base * 2^(attempt-1), capped. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 40)));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Header-safe: no line breaks in a subject, whatever a company or user is called. */
const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').trim();

export function renderVerifyEmail(p: { name: string; companyName: string; link: string }): Omit<OutgoingMail, 'to'> {
  const hours = TOKEN_TTL_MS.verify_email / 3_600_000;
  return {
    subject: oneLine(`${p.companyName}: confirma tu correo electrónico / confirm your email`),
    text: [
      `Hola ${p.name},`,
      '',
      `Confirma tu correo electrónico abriendo este enlace (vence en ${hours} horas):`,
      p.link,
      '',
      `Confirm your email address by opening the link above (valid for ${hours} hours).`,
      'Si no creaste esta cuenta, ignora este mensaje. / If you did not sign up, ignore this message.',
    ].join('\n'),
    html: [
      `<p>Hola ${escapeHtml(p.name)},</p>`,
      `<p>Confirma tu correo electrónico (vence en ${hours} horas) / Confirm your email (valid for ${hours} hours):</p>`,
      `<p><a href="${escapeHtml(p.link)}">${escapeHtml(p.link)}</a></p>`,
      '<p>Si no creaste esta cuenta, ignora este mensaje. / If you did not sign up, ignore this message.</p>',
    ].join('\n'),
  };
}

export function renderResetPassword(p: { name: string; companyName: string; code: string }): Omit<OutgoingMail, 'to'> {
  const minutes = TOKEN_TTL_MS.reset_password / 60_000;
  return {
    subject: oneLine(`${p.companyName}: código para restablecer tu contraseña / password reset code`),
    text: [
      `Hola ${p.name},`,
      '',
      `Tu código para restablecer la contraseña (verificationId), válido por ${minutes} minutos y un solo uso:`,
      p.code,
      '',
      `Your password reset code (verificationId), valid for ${minutes} minutes and one use, is above.`,
      'Si no lo pediste, ignora este mensaje. / If you did not ask for it, ignore this message.',
    ].join('\n'),
    html: [
      `<p>Hola ${escapeHtml(p.name)},</p>`,
      `<p>Tu código para restablecer la contraseña (válido por ${minutes} minutos) / Your password reset code (valid for ${minutes} minutes):</p>`,
      `<p><code>${escapeHtml(p.code)}</code></p>`,
      '<p>Si no lo pediste, ignora este mensaje. / If you did not ask for it, ignore this message.</p>',
    ].join('\n'),
  };
}

type Prepared = { kind: 'send'; mail: OutgoingMail } | { kind: 'cancel'; reason: string };

/** Builds a claimed message, minting its token now. */
async function prepare(db: Db, row: OutboxRow, publicUrl: string): Promise<Prepared> {
  const user = row.user_id === null ? undefined : await findUserById(db.kysely, row.user_id);
  if (!user) return { kind: 'cancel', reason: 'the user no longer exists' };
  if (user.email !== row.to_address) return { kind: 'cancel', reason: 'the user changed their email address' };
  const company = await findCompanyOfUser(db.kysely, user.id);
  const companyName = company?.name ?? 'roster';
  const name = [user.name, user.last_name].filter(Boolean).join(' ');
  if (row.template === 'verify_email') {
    if (user.email_verified_at !== null) return { kind: 'cancel', reason: 'the email is already verified' };
    const token = await mintEmailToken(db, user.id, 'verify_email');
    const link = `${publicUrl}/api/user/verify-email?token=${encodeURIComponent(token)}`;
    return { kind: 'send', mail: { to: user.email, ...renderVerifyEmail({ name, companyName, link }) } };
  }
  const code = await mintEmailToken(db, user.id, 'reset_password');
  return { kind: 'send', mail: { to: user.email, ...renderResetPassword({ name, companyName, code }) } };
}

export interface SenderOptions {
  publicUrl: string;
  pollMs: number;
  leaseMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  /** How many due ids to look at per query. */
  batch?: number;
}

/** The background sender: one per node; start() after listen, stop() before the database closes. */
export class OutboxSender implements MailNotifier {
  private readonly loops: DrainingLoops;

  constructor(
    private readonly db: Db,
    private readonly transport: MailTransport,
    private readonly opts: SenderOptions,
    private readonly log: Logger,
  ) {
    this.loops = new DrainingLoops({
      concurrency: 1,
      pollMs: opts.pollMs,
      takeOne: () => this.sendOne(),
      onError: (err) => this.log.warn({ err: { message: (err as Error).message } }, 'outbox: cannot read the queue; will retry'),
    });
  }

  start(): void {
    this.loops.start();
  }

  notify(): void {
    this.loops.notify();
  }

  /** Stops taking messages and waits (at most `graceMs`) for the one in flight, then closes SMTP. */
  async stop(graceMs = 10_000): Promise<void> {
    await this.loops.stop(graceMs);
    this.transport.close();
  }

  /** Claims and sends one due message; false when none was due (or every due one was taken). */
  async sendOne(): Promise<boolean> {
    const now = new Date();
    const ids = await store.dueIds(this.db.kysely, now.toISOString(), this.opts.batch ?? 10);
    for (const id of ids) {
      const claimId = newUuid();
      const row = await store.claim(this.db.kysely, id, {
        claimId,
        now: now.toISOString(),
        leaseUntil: new Date(now.getTime() + this.opts.leaseMs).toISOString(),
      });
      if (!row) continue; // another node took it
      await this.deliver(row, claimId);
      return true;
    }
    return false;
  }

  private async deliver(row: OutboxRow, claimId: string): Promise<void> {
    const meta = { outboxId: row.id, template: row.template, attempt: row.attempts };
    let prepared: Prepared;
    try {
      prepared = await prepare(this.db, row, this.opts.publicUrl);
    } catch (err) {
      await this.retryOrFail(row, claimId, err);
      return;
    }
    if (prepared.kind === 'cancel') {
      await store.settle(this.db.kysely, row.id, claimId, { status: 'cancelled', now: nowIso(), lastError: prepared.reason });
      this.log.info({ ...meta, reason: prepared.reason }, 'outbox: message cancelled');
      return;
    }
    try {
      await this.transport.send(prepared.mail);
    } catch (err) {
      await this.retryOrFail(row, claimId, err);
      return;
    }
    if (!(await store.settle(this.db.kysely, row.id, claimId, { status: 'sent', now: nowIso() }))) {
      this.log.warn(meta, 'outbox: sent, but the claim had lapsed (lease too short for this SMTP server?)');
      return;
    }
    this.log.info(meta, 'outbox: message sent');
  }

  private async retryOrFail(row: OutboxRow, claimId: string, err: unknown): Promise<void> {
    const message = String((err as Error)?.message ?? err).slice(0, 500);
    const permanent = err instanceof PermanentMailError;
    const meta = { outboxId: row.id, template: row.template, attempt: row.attempts, error: message };
    if (permanent || row.attempts >= this.opts.maxAttempts) {
      await store.settle(this.db.kysely, row.id, claimId, { status: 'failed', now: nowIso(), lastError: message });
      this.log.error(meta, permanent ? 'outbox: the SMTP server refused the message; giving up' : 'outbox: giving up after the last attempt');
      return;
    }
    const delay = retryDelayMs(row.attempts, this.opts.retryBaseMs, this.opts.retryMaxMs);
    await store.settle(this.db.kysely, row.id, claimId, {
      status: 'pending',
      now: nowIso(),
      nextAttemptAt: new Date(Date.now() + delay).toISOString(),
      lastError: message,
    });
    this.log.warn({ ...meta, retryInMs: delay }, 'outbox: send failed; will retry');
  }
}

/** What operators and metrics read of the outbox. */
export class Outbox {
  constructor(private readonly db: Db) {}

  async list(opts: { status?: OutboxStatus; limit?: number } = {}): Promise<OutboxEntry[]> {
    const rows = await store.list(this.db.kysely, { ...(opts.status && { status: opts.status }), limit: opts.limit ?? 100 });
    return rows.map((r) => ({
      id: r.id,
      template: r.template,
      to: r.to_address,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      lastError: r.last_error,
      createdAt: r.created_at,
      sentAt: r.sent_at,
    }));
  }

  /** Sends a failed message again (the console): due now, with a fresh set of attempts; records mail.retried. */
  async retry(id: number, acting: Acting): Promise<void> {
    const now = nowIso();
    const done = await inTransaction(this.db.kysely, async (trx) => {
      const row = await store.retryFailed(trx, id, now);
      if (!row) return false;
      const company = row.user_id === null ? undefined : await findCompanyOfUser(trx, row.user_id);
      await recordEvent(
        trx,
        acting,
        {
          type: 'mail.retried',
          companyId: company ? Number(company.id) : null,
          target: { kind: 'mail', id: row.id },
          data: { id: row.id, template: row.template, to: row.to_address, status: row.status },
        },
        now,
      );
      return true;
    });
    if (!done) throw notFound('MAIL_NOT_FOUND', `no failed message ${id}`);
  }

  /** Messages per status (pending, sending, sent, failed, cancelled), for metrics. */
  async counts(): Promise<Array<{ status: string; n: number }>> {
    return store.countByStatus(this.db.kysely);
  }
}
