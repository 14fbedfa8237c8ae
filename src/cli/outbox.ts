/** `roster outbox list`: the mail outbox. */
import { InvalidArgumentError, type Command } from 'commander';
import { wholeNumber as length, type Output, type WithServices } from './context.js';

const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed', 'cancelled'] as const;

export function registerOutbox(program: Command, withServices: WithServices, out: (cmd: Command) => Output): void {
  program
    .command('outbox')
    .description('the mail outbox')
    .command('list')
    .description('list queued and recent messages, newest first (they hold no secrets)')
    .option('--status <status>', `only this status: ${OUTBOX_STATUSES.join(', ')}`, (v: string) => {
      if (!(OUTBOX_STATUSES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${OUTBOX_STATUSES.join(', ')}`);
      return v as (typeof OUTBOX_STATUSES)[number];
    })
    .option('--limit <n>', 'at most this many (default 100)', length)
    .option('--json', 'print one JSON object')
    .action(async (opts: { status?: (typeof OUTBOX_STATUSES)[number]; limit?: number }, cmd: Command) => {
      const rows = await withServices((s) => s.outbox.list({ ...(opts.status && { status: opts.status }), limit: opts.limit ?? 100 }));
      out(cmd).print(
        { messages: rows },
        rows.length === 0
          ? 'the outbox is empty'
          : rows
              .map(
                (m) =>
                  `${m.id}\t${m.status}\t${m.template}\t${m.to}\tattempts ${m.attempts}\t${m.status === 'pending' ? `due ${m.nextAttemptAt}` : (m.sentAt ?? m.createdAt)}${m.lastError ? `\t${m.lastError}` : ''}`,
              )
              .join('\n'),
      );
    });
}
