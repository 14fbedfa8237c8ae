/**
 * What every `roster import` run shares: its id and actor (the events it records say
 * `actor_kind = 'import'`, `actor_id = <run id>`), its report, and the batch writer that keeps one
 * bad row from sinking the rows written with it.
 */
import { actingAs, type Acting } from '../events/types.js';
import { newPublicId } from '../identity/secrets.js';
import { isUnavailable, StoreError } from '../store/errors.js';
import type { ImportSummary } from './progress.js';
import type { ColumnWarning } from './rows.js';
import type { RowError } from './types.js';

/** Rows per transaction unless told otherwise (bench/import.ts measured 250 to 2,000: see docs/import.md). */
export const DEFAULT_BATCH_SIZE = 1000;

export interface ImportReport extends ImportSummary {
  /** The run's id: the `actor_id` of every event it recorded. */
  runId: string;
  dryRun: boolean;
  /** Columns of the file the import does not read, each once. */
  warnings: readonly ColumnWarning[];
}

/** The summary object `--json` prints: exactly these four keys. */
export function summaryJson(report: ImportSummary): ImportSummary {
  return { created: report.created, updated: report.updated, unchanged: report.unchanged, failed: report.failed };
}

export const newRunId = (): string => `imp_${newPublicId()}`;

/** The import run as the actor of the events it records. */
export const importActing = (runId: string): Acting => actingAs({ kind: 'import', id: runId });

/** Bounds a batch size given by a caller: 1 to 5,000. */
export function batchSizeOf(n: number | undefined): number {
  if (n === undefined) return DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(n) || n < 1 || n > 5000) throw new RangeError('batch size must be an integer from 1 to 5000');
  return n;
}

/**
 * Writes `items` with `write` (one transaction). When the transaction fails for a reason that is not
 * the database being away, the items are written one by one, so that only the ones the database
 * refuses fail, each as a row error of its line; the database being away stops the run (what was
 * committed stays, and a new run finishes the job).
 */
export async function writeIsolating<T extends { line: number }>(items: T[], write: (items: T[]) => Promise<void>, failed: RowError[]): Promise<T[]> {
  if (items.length === 0) return [];
  try {
    await write(items);
    return items;
  } catch (err) {
    if (isUnavailable(err) || !(err instanceof StoreError)) throw err;
    if (items.length === 1) {
      failed.push({ line: items[0]!.line, field: null, message: `could not be written: the database refused it (${err.kind})` });
      return [];
    }
  }
  const written: T[] = [];
  for (const item of items) written.push(...(await writeIsolating([item], write, failed)));
  return written;
}
