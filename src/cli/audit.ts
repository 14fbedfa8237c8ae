/** `roster audit`: what was done, by whom, through which request; newest first. */
import { InvalidArgumentError, type Command } from 'commander';
import type { AuditEvent } from '../events/audit.js';
import { AUDIT_LIMITS, auditTime } from '../events/audit.js';
import { EVENT_TYPES, isEventType, type EventType } from '../events/types.js';
import { DomainError } from '../identity/errors.js';
import type { Output, WithServices } from './context.js';

interface AuditOptions {
  company?: string;
  type?: EventType[];
  since?: string;
  limit?: number;
}

function eventType(value: string, previous: EventType[] = []): EventType[] {
  if (!isEventType(value)) throw new InvalidArgumentError(`must be one of ${EVENT_TYPES.join(', ')}`);
  return [...previous, value];
}

function limit(value: string): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > AUDIT_LIMITS.max) throw new InvalidArgumentError(`must be 1-${AUDIT_LIMITS.max}`);
  return Number(value);
}

function since(value: string): string {
  try {
    return auditTime(value, '--since');
  } catch (err) {
    if (err instanceof DomainError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

/** One line: when, what, on what, by whom, through which request. */
export function auditLine(e: AuditEvent): string {
  const actor = e.actor.id === null ? e.actor.kind : `${e.actor.kind}:${e.actor.id}`;
  return [
    e.occurredAt,
    e.type,
    e.companyCode ?? '-',
    `${e.target.kind}:${e.target.id}`,
    actor,
    e.requestId ? `request ${e.requestId}` : '-',
    e.clientIp ?? '-',
  ].join('\t');
}

export function registerAudit(program: Command, withServices: WithServices, out: (cmd: Command) => Output): void {
  program
    .command('audit')
    .description('the audit trail: every write through an API or the CLI, newest first (they hold no secrets)')
    .option('--company <code>', 'only this company')
    .option('--type <type>', 'only this event type (repeatable)', eventType)
    .option('--since <time>', 'only events at or after this ISO 8601 time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z', since)
    .option('--limit <n>', `at most this many (default ${AUDIT_LIMITS.default}, at most ${AUDIT_LIMITS.max})`, limit)
    .option('--json', 'print one JSON object')
    .action(async (opts: AuditOptions, cmd: Command) => {
      const page = await withServices(async (s) => {
        const companyId = opts.company === undefined ? undefined : (await s.companies.get(opts.company)).id;
        return s.audit.list({
          ...(companyId !== undefined && { companyId }),
          ...(opts.type && { types: opts.type }),
          ...(opts.since !== undefined && { since: opts.since }),
          limit: opts.limit ?? AUDIT_LIMITS.default,
        });
      });
      out(cmd).print({ events: page.events }, page.events.length === 0 ? 'no events' : page.events.map(auditLine).join('\n'));
    });
}
