/**
 * SQLite, served from a file: WAL checkpoints in a thread of their own (issue 15, a new widget user).
 *
 * A checkpoint copies the pages the WAL holds back into the database file and syncs both files.
 * SQLite runs one after the commit that takes the WAL past `wal_autocheckpoint` pages (1,000 by
 * default), in the committing connection: for `roster serve` that is the event loop, stalled for
 * the copy and two fsyncs many times a second under a flood of writes. Here a thread with its own
 * connection runs `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs`: PASSIVE waits for no reader
 * or writer, so the event loop's writes go on meanwhile. The served connection keeps an automatic
 * checkpoint as a backstop, at SAFETY_PAGES: under steady writes the thread keeps the WAL copied,
 * so when that one runs there is little left for it to copy, and it lets the WAL start over.
 *
 * If the thread fails (it cannot open the file, a checkpoint throws), `onError` is told and the
 * served connection goes back to SQLite's default automatic checkpoints: the WAL never grows
 * unchecked.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The served connection's own automatic checkpoint while the thread runs (pages of the WAL). */
export const SAFETY_PAGES = 10_000;
/** SQLite's default, restored when the thread fails. */
export const DEFAULT_PAGES = 1000;

/**
 * The thread, as CommonJS source (no file to find beside a bundle). Its Database and Statement are
 * held at module scope until it exits: better-sqlite3 objects must never be garbage collected
 * (src/store/db.ts, pinnedStatements).
 */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
// A checkpoint copies frames from the WAL file to the database file: it needs no page cache.
db.exec('PRAGMA cache_size = -64');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => checkpoint.all(), workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface BackgroundCheckpoints {
  /** Stops the thread and waits for it to exit; the served connection is left as it is. */
  close(): Promise<void>;
}

export interface CheckpointOptions {
  intervalMs?: number;
  onError(err: Error): void;
  /** The better-sqlite3 module the thread loads (tests give a bad one to see the fallback). */
  driver?: string;
}

export function checkpointInBackground(raw: BetterSqlite3.Database, path: string, options: CheckpointOptions): BackgroundCheckpoints {
  const driver = options.driver ?? createRequire(import.meta.url).resolve('better-sqlite3');
  raw.exec(`PRAGMA wal_autocheckpoint = ${SAFETY_PAGES}`);
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { driver, path, intervalMs: options.intervalMs ?? 100 },
    // It allocates next to nothing: a small heap keeps its memory small.
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 },
  });
  // Never holds the process up: `roster serve` stops it in close(), a test process may not.
  worker.unref();
  let closing = false;
  let failed = false;
  const fallBack = (err: Error) => {
    if (failed || closing) return;
    failed = true;
    if (raw.open) raw.exec(`PRAGMA wal_autocheckpoint = ${DEFAULT_PAGES}`);
    options.onError(err);
  };
  worker.on('error', fallBack);
  worker.on('exit', (code) => fallBack(new Error(`the WAL checkpoint thread exited (code ${code})`)));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async close() {
      if (closing) return;
      closing = true;
      if (failed) return;
      // Held until it has exited, or a process with nothing else to do would not wait for it.
      worker.ref();
      worker.postMessage('close');
      await exited;
    },
  };
}
