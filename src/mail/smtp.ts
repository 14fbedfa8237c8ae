/** The SMTP transport of the outbox sender, through nodemailer. */
import type nodemailerModule from 'nodemailer';
import { lazyRequire } from '../infra/lazy-require.js';
import { PermanentMailError, type MailTransport, type OutgoingMail } from './outbox.js';

export interface SmtpOptions {
  url: string;
  from: string;
  /**
   * Connection, greeting and socket timeouts: a hung server must not hold a claim past its lease
   * (config keeps this at most half of OUTBOX_LEASE_MS).
   */
  timeoutMs?: number;
}

/** nodemailer, loaded when an SMTP transport is made (SMTP_URL set). */
const nodemailer = lazyRequire<typeof nodemailerModule>('nodemailer');

export function smtpTransport({ url, from, timeoutMs = 30_000 }: SmtpOptions): MailTransport {
  const transporter = nodemailer().createTransport({
    url,
    // Connecting and the greeting share the budget with the exchange that follows.
    connectionTimeout: Math.min(Math.floor(timeoutMs / 4), 10_000),
    greetingTimeout: Math.min(Math.floor(timeoutMs / 4), 10_000),
    socketTimeout: timeoutMs,
  });
  return {
    async send(mail: OutgoingMail): Promise<void> {
      try {
        await transporter.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
      } catch (err) {
        const code = (err as { responseCode?: unknown }).responseCode;
        // 5xx: the server refused this message for good (unknown mailbox, policy); 4xx and network
        // errors are worth another try.
        if (typeof code === 'number' && code >= 500 && code < 600) throw new PermanentMailError((err as Error).message);
        throw err;
      }
    },
    close: () => transporter.close(),
  };
}
