/** A real SMTP server inside the test (smtp-server on a random port) that keeps what it receives. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  from: string;
  raw: string;
  /** The raw message with quoted-printable soft breaks and escapes decoded. */
  decoded: string;
}

export interface TestSmtp {
  port: number;
  url: string;
  mails: ReceivedMail[];
  /** Resolves with the first mail (from index `from` on) that matches, or rejects after `ms`. */
  waitFor(match: (m: ReceivedMail) => boolean, ms?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export function decodeQuotedPrintable(raw: string): string {
  const joined = raw.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `reject`: answer every message with this SMTP error code (e.g. 550) instead of taking it. */
export async function startSmtp(opts: { port?: number; reject?: number } = {}): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (opts.reject) {
          const err = Object.assign(new Error('Mailbox unavailable'), { responseCode: opts.reject });
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), from, raw, decoded: decodeQuotedPrintable(raw) });
        for (const w of waiters) w();
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => {});
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitFor(match, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = mails.find(match);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error('no matching mail arrived in time'));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The verification link's token in a mail. */
export function verifyTokenOf(m: ReceivedMail): string {
  const t = /\/api\/user\/verify-email\?token=([A-Za-z0-9_-]{43})/.exec(m.decoded)?.[1];
  if (!t) throw new Error('no verification link in the mail');
  return t;
}

/** The password reset code (verificationId) in a mail: a 43-character line of its own. */
export function resetCodeOf(m: ReceivedMail): string {
  const t = /\n([A-Za-z0-9_-]{43})\r?\n/.exec(m.decoded)?.[1];
  if (!t) throw new Error('no reset code in the mail');
  return t;
}
