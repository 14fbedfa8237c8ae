/**
 * `roster import widget-users`: a file of `{ id, names, legalId }` rows into one bot of a company,
 * in batches, each batch one transaction. Each new user gets what the widget API's get-or-create
 * gives it (identity/widget-users.ts: the user, a personal and a group room, each with the user and
 * the bot as members, and widget_user.created); an existing one whose names or legal id the file
 * changes is updated as a returning widget user would be (rooms renamed); the rest are unchanged.
 * A blank legalId keeps the stored one, as an omitted legalId does in the API.
 */
import type { Readable } from 'node:stream';
import type { Company } from '../identity/companies.js';
import { notFound } from '../identity/errors.js';
import { planWidgetUsers, writeWidgetUsers, type WidgetUserInput } from '../identity/widget-users.js';
import { nowIso } from '../infra/clock.js';
import type { Db } from '../store/db.js';
import { findBotByName } from '../store/import-batches.js';
import { inTransaction } from '../store/transaction.js';
import { readRows, type ImportFormat } from './read.js';
import { WidgetUserRows } from './rows.js';
import { batchSizeOf, importActing, newRunId, writeIsolating, type ImportReport } from './run.js';
import type { RowError } from './types.js';

export interface WidgetUsersImportOptions {
  company: Company;
  /** The bot's name (as `roster client create --bot` made it). */
  bot: string;
  source: string | Readable;
  format?: ImportFormat;
  dryRun?: boolean;
  batchSize?: number;
  onProgress?: (rows: number, bytesRead: number) => void;
  runId?: string;
}

export async function importWidgetUsers(db: Db, options: WidgetUsersImportOptions): Promise<ImportReport> {
  const { company } = options;
  const bot = await findBotByName(db.kysely, company.id, options.bot.trim());
  if (!bot) {
    throw notFound(
      'BOT_NOT_FOUND',
      `company ${company.code} has no bot named ${JSON.stringify(options.bot.slice(0, 200))} (roster client create --bot makes one)`,
    );
  }
  const owner = { botId: bot.id, companyId: company.id };
  const runId = options.runId ?? newRunId();
  const acting = importActing(runId);
  const batchSize = batchSizeOf(options.batchSize);
  const checker = new WidgetUserRows();
  const failed: RowError[] = [];
  let created = 0;
  let updated = 0;
  let unchanged = 0;

  const flush = async (batch: Array<{ line: number; input: WidgetUserInput }>) => {
    if (batch.length === 0) return;
    const plan = await planWidgetUsers(
      db.kysely,
      bot.id,
      batch.map((b) => b.input),
    );
    unchanged += plan.unchanged.length;
    if (options.dryRun) {
      created += plan.fresh.length;
      updated += plan.changed.length;
      return;
    }
    const lineOf = new Map(batch.map((b) => [b.input.id, b.line]));
    type Item = { line: number; fresh?: WidgetUserInput; changed?: (typeof plan.changed)[number] };
    const items: Item[] = [
      ...plan.fresh.map((fresh) => ({ line: lineOf.get(fresh.id)!, fresh })),
      ...plan.changed.map((changed) => ({ line: lineOf.get(changed.input.id)!, changed })),
    ];
    const written = await writeIsolating(
      items,
      (part) =>
        inTransaction(db.kysely, (trx) =>
          writeWidgetUsers(
            trx,
            acting,
            owner,
            {
              fresh: part.flatMap((i) => (i.fresh ? [i.fresh] : [])),
              changed: part.flatMap((i) => (i.changed ? [i.changed] : [])),
              unchanged: [],
            },
            nowIso(),
          ),
        ),
      failed,
    );
    for (const i of written) {
      if (i.fresh) created++;
      else updated++;
    }
  };

  let batch: Array<{ line: number; input: WidgetUserInput }> = [];
  let rows = 0;
  let bytes = 0;
  for await (const item of readRows(options.source, options.format, { onBytes: (n) => (bytes = n) })) {
    rows++;
    options.onProgress?.(rows, bytes);
    if (item.error) {
      failed.push(item.error);
      continue;
    }
    const checked = checker.check(item);
    if (checked.errors) {
      failed.push(...checked.errors);
      continue;
    }
    const { id, names, legalId } = checked.row;
    batch.push({ line: checked.line, input: { id, names, ...(legalId !== null && { legalId }) } });
    if (batch.length >= batchSize) {
      await flush(batch);
      batch = [];
    }
  }
  await flush(batch);
  options.onProgress?.(rows, bytes);

  return { runId, dryRun: options.dryRun === true, created, updated, unchanged, failed: failed.sort((a, b) => a.line - b.line), warnings: checker.warnings };
}
