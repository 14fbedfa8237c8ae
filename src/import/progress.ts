/**
 * What `roster import` shows while it runs and when it ends.
 *
 * Progress: a bar on stderr when stderr is a terminal, drawn by cli-progress (cursor handling,
 * redraw throttling, ETA smoothing over recent samples), with a line of our own: rows so far,
 * rows per second and, when the total is known, the percentage and ETA. The total is the file's
 * size in bytes and the value the bytes read, so it needs no first pass over the file. When
 * stderr is not a terminal (a pipe, a log, CI) nothing is written.
 *
 * Summary: `{ created, updated, unchanged, failed }` as human text (the `--json` form is that
 * object as it is).
 */
import type cliProgressModule from 'cli-progress';
import { lazyRequire } from '../infra/lazy-require.js';

/** cli-progress, loaded when an import draws its bar. */
const cliProgress = lazyRequire<typeof cliProgressModule>('cli-progress');
import type { ColumnWarning } from './rows.js';
import type { RowError } from './types.js';

export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  failed: RowError[];
}

export interface ProgressOptions {
  /** Where to draw; default process.stderr. Nothing is drawn unless it is a TTY. */
  stream?: NodeJS.WriteStream;
  /** The input's size in bytes (the file's size), when known: adds a bar, a percentage and an ETA. */
  totalBytes?: number;
  /** What the line starts with, e.g. "users"; default "import". */
  label?: string;
  /** Milliseconds clock, for tests. */
  now?: () => number;
}

export interface Progress {
  /** Rows handled so far and, for the bar, bytes read so far. Cheap: call it for every row. */
  update(rows: number, bytesRead?: number): void;
  /** Draws the last state and leaves the line. Call it once, in a finally: the bar holds a timer. */
  stop(): void;
  /** Whether anything is being drawn. */
  readonly active: boolean;
}

export interface ProgressState {
  label: string;
  rows: number;
  elapsedMs: number;
  /** 0..1 when the total is known. */
  fraction?: number;
  /** Seconds left, when known. */
  etaSeconds?: number;
  /** The bar itself, e.g. "████░░░░", when the total is known. */
  bar?: string;
}

const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');

/** "1h05m", "4m20s", "9s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** The progress line: `users [bar] 42% | 120,000 rows | 15,300 rows/s | ETA 9s`. */
export function progressLine(state: ProgressState): string {
  const rate = state.elapsedMs > 0 ? (state.rows * 1000) / state.elapsedMs : 0;
  const parts = [`${grouped(state.rows)} rows`, `${grouped(rate)} rows/s`];
  if (state.fraction === undefined) return `${state.label} ${parts.join(' | ')} | ${formatDuration(state.elapsedMs / 1000)}`;
  const pct = `${Math.floor(Math.min(1, Math.max(0, state.fraction)) * 100)}%`;
  const eta = state.etaSeconds === undefined ? 'ETA --' : `ETA ${formatDuration(state.etaSeconds)}`;
  return `${state.label} ${state.bar ?? ''} ${pct} | ${parts.join(' | ')} | ${eta}`;
}

const SILENT: Progress = { update: () => {}, stop: () => {}, active: false };

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY !== true) return SILENT;
  const now = options.now ?? Date.now;
  const label = options.label ?? 'import';
  const total = options.totalBytes !== undefined && Number.isFinite(options.totalBytes) && options.totalBytes > 0 ? options.totalBytes : undefined;
  const started = now();
  let rows = 0;
  let bytes = 0;
  let lastPush = 0;
  let stopped = false;

  const bar = new (cliProgress().SingleBar)({
    stream,
    fps: 5,
    etaBuffer: 50,
    hideCursor: false,
    clearOnComplete: false,
    barsize: 24,
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
    format: (opts, params) => {
      const eta = typeof params.eta === 'number' && Number.isFinite(params.eta) ? params.eta : undefined;
      const state: ProgressState = { label, rows, elapsedMs: now() - started };
      if (total !== undefined) {
        state.fraction = params.progress;
        state.bar = cliProgress().Format.BarFormat(params.progress, opts);
        if (eta !== undefined && bytes > 0) state.etaSeconds = eta;
      }
      return progressLine(state);
    },
  });
  bar.start(total ?? 1, 0);

  return {
    active: true,
    update(n: number, bytesRead?: number) {
      if (stopped) return;
      rows = n;
      if (bytesRead !== undefined) bytes = bytesRead;
      // The bar redraws on its own timer; handing it values more often than every 50 ms is waste.
      const t = now();
      if (t - lastPush < 50) return;
      lastPush = t;
      bar.update(total === undefined ? 0 : Math.min(bytes, total));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.update(total === undefined ? 0 : Math.min(bytes, total));
      bar.stop();
    },
  };
}

/** C0 and C1 controls shown as \u escapes, so no file content can drive the terminal. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const visible = (s: string): string => s.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** One failure as a line of text: `line 4: email is not a valid email address`, `line 9 is not valid UTF-8`. */
export function formatFailure(e: RowError): string {
  return e.field === null ? `line ${e.line} ${visible(e.message)}` : `line ${e.line}: ${visible(e.field)} ${visible(e.message)}`;
}

/**
 * The summary for people: counts, then the failures by line (the first `maxFailures`, default
 * 100; `--json` lists them all). With `dryRun` the counts say what would have been written.
 */
export function formatSummary(summary: ImportSummary, options: { dryRun?: boolean; maxFailures?: number } = {}): string {
  const max = options.maxFailures ?? 100;
  const { created, updated, unchanged, failed } = summary;
  const n = (x: number) => grouped(x);
  const head = options.dryRun
    ? `dry run, nothing written: would create ${n(created)}, would update ${n(updated)}, unchanged ${n(unchanged)}, failed ${n(failed.length)}`
    : `created ${n(created)}, updated ${n(updated)}, unchanged ${n(unchanged)}, failed ${n(failed.length)}`;
  const lines = [head];
  const shown = [...failed].sort((a, b) => a.line - b.line).slice(0, max);
  for (const e of shown) lines.push(`  ${formatFailure(e)}`);
  if (failed.length > shown.length) lines.push(`  … and ${n(failed.length - shown.length)} more (--json lists them all)`);
  return `${lines.join('\n')}\n`;
}

/** Ignored columns, one line each: `warning: column "Email" (first on line 2) is not a column … (did you mean email?)`. */
export function formatWarnings(warnings: readonly ColumnWarning[]): string {
  return warnings.map((w) => `warning: column ${visible(JSON.stringify(w.column))} (first on line ${w.line}) ${visible(w.message)}\n`).join('');
}
