/** The SMTP transport of the outbox sender, through nodemailer. */
import nodemailer from 'nodemailer';
import { PermanentMailError, type MailTransport, type OutgoingMail } from '../core/outbox.js';

export interface SmtpOptions {
  url: string;
  from: string;
  /** Connection, greeting and socket timeouts: a hung server must not hold a claim past its lease. */
  timeoutMs?: number;
}

export function smtpTransport({ url, from, timeoutMs = 30_000 }: SmtpOptions): MailTransport {
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: Math.min(timeoutMs, 10_000),
    greetingTimeout: Math.min(timeoutMs, 10_000),
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
