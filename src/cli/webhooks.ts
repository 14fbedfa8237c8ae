/** `roster webhook`: a company's webhook endpoints and their deliveries. */
import { InvalidArgumentError, type Command } from 'commander';
import { CLI, EVENT_TYPES } from '../events/types.js';
import { DELIVERY_STATUSES, type Delivery, type Webhook, type WebhookDeliveryStatus } from '../events/webhooks.js';
import type { Output, WithServices } from './context.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function deliveryId(value: string): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a delivery id (a whole number)');
  return Number(value);
}

function count(value: string): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 1000) throw new InvalidArgumentError('must be 1-1000');
  return Number(value);
}

const webhookLine = (w: Webhook) => `${w.id}\t${w.url}\t${w.eventTypes === null ? 'every event' : w.eventTypes.join(',')}\tcreated ${w.createdAt}`;

const deliveryLine = (d: Delivery) =>
  [
    d.id,
    d.status,
    d.eventType,
    `event ${d.eventId}`,
    `webhook ${d.webhookId}`,
    `attempts ${d.attempts}`,
    d.status === 'delivered' ? `delivered ${d.deliveredAt}` : d.status === 'pending' ? `due ${d.nextAttemptAt}` : d.status,
    d.lastStatusCode === null ? '' : `HTTP ${d.lastStatusCode}`,
    d.lastError ?? '',
  ]
    .join('\t')
    .trimEnd();

export function registerWebhooks(program: Command, withServices: WithServices, out: (cmd: Command) => Output): void {
  const webhook = program.command('webhook').description("manage a company's webhook endpoints (signed per Standard Webhooks)");
  webhook
    .command('add')
    .description('add an endpoint; prints its id and its signing secret, shown only now')
    .requiredOption('--company <code>', 'company code')
    .requiredOption('--url <url>', 'https: (or http:) URL events are POSTed to')
    .option('--event <type>', `an event type it gets (repeatable; default: every type). One of ${EVENT_TYPES.join(', ')}`, collect)
    .option('--json', 'print one JSON object')
    .action(async (opts: { company: string; url: string; event?: string[] }, cmd: Command) => {
      const { webhook: w, secret } = await withServices((s) => s.webhooks.add({ companyCode: opts.company, url: opts.url, eventTypes: opts.event ?? [] }, CLI));
      out(cmd).print(
        { id: w.id, secret, url: w.url, eventTypes: w.eventTypes },
        `id     ${w.id}\nsecret ${secret}\nurl    ${w.url}\nevents ${w.eventTypes === null ? 'every type' : w.eventTypes.join(', ')}\n(the secret is shown only now)`,
      );
    });
  webhook
    .command('list')
    .description("list a company's endpoints (secrets are never shown again)")
    .requiredOption('--company <code>', 'company code')
    .option('--json', 'print one JSON object')
    .action(async (opts: { company: string }, cmd: Command) => {
      const rows = await withServices((s) => s.webhooks.list(opts.company));
      out(cmd).print({ webhooks: rows }, rows.length === 0 ? 'none' : rows.map(webhookLine).join('\n'));
    });
  webhook
    .command('remove')
    .description('remove an endpoint; its deliveries, sent or not, go with it')
    .argument('<id>', 'the id printed by add')
    .option('--json', 'print one JSON object')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const w = await withServices((s) => s.webhooks.remove(id, CLI));
      out(cmd).print({ id: w.id, removed: true }, `removed ${w.id} (${w.url})`);
    });
  webhook
    .command('deliveries')
    .description("a company's deliveries, newest first")
    .requiredOption('--company <code>', 'company code')
    .option('--status <status>', `only this status: ${DELIVERY_STATUSES.join(', ')}`, (v: string) => {
      if (!(DELIVERY_STATUSES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${DELIVERY_STATUSES.join(', ')}`);
      return v as WebhookDeliveryStatus;
    })
    .option('--limit <n>', 'at most this many (default 100)', count)
    .option('--json', 'print one JSON object')
    .action(async (opts: { company: string; status?: WebhookDeliveryStatus; limit?: number }, cmd: Command) => {
      const rows = await withServices((s) =>
        s.webhooks.deliveries({ companyCode: opts.company, ...(opts.status && { status: opts.status }), limit: opts.limit ?? 100 }),
      );
      out(cmd).print({ deliveries: rows }, rows.length === 0 ? 'none' : rows.map(deliveryLine).join('\n'));
    });
  webhook
    .command('redeliver')
    .description('send a delivery again now, with a fresh set of attempts (a serving node picks it up within WEBHOOK_POLL_MS)')
    .argument('<delivery id>', 'the id shown by deliveries', deliveryId)
    .option('--json', 'print one JSON object')
    .action(async (id: number, _opts: unknown, cmd: Command) => {
      const d = await withServices((s) => s.webhooks.redeliver(id));
      out(cmd).print({ delivery: d }, `delivery ${d.id} queued again (event ${d.eventId} ${d.eventType} to ${d.url})`);
    });
}
