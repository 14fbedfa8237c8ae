/**
 * Reads an import file as a stream of records, one at a time, in bounded memory whatever its size.
 *
 * Two formats:
 * - CSV (RFC 4180): a header row, then records; fields may be quoted, and a quoted field may hold
 *   commas, doubled quotes ("") and line breaks. Records end with LF or CRLF (a lone CR is data).
 *   Blank lines are skipped. Every record must have as many fields as the header.
 * - JSON lines: one JSON object per line; blank lines are skipped.
 * Both are UTF-8, with or without a byte order mark.
 *
 * Nothing in the file makes the reader throw: a record that is not valid UTF-8, not valid CSV, not a
 * JSON object, or longer than `maxRecordBytes` is yielded as a row error with the line it starts on,
 * and reading goes on with the next record. Only a bad call (no format) or a failing read of the
 * source throws, as an ImportFileError.
 *
 * How it stays bounded and keeps line numbers right: a splitter cuts the bytes into records itself,
 * counting lines as it goes. A CSV record ends at a line feed outside quotes. The splitter follows
 * the quoting state as RFC 4180 defines it, looking at quote characters only: a quote at the start
 * of a field opens a quoted field, the next quote closes it, and a quote right after a closing one
 * reopens it (the doubled "" escape). A stray quote inside an unquoted field (O"Brien) opens
 * nothing, so it spoils its own record only, as csv-parse also treats it. A record that grows
 * past the bound is dropped, not buffered, and reported when it ends. Each record is checked to be
 * UTF-8, then the records of a chunk are handed to csv-parse together; when that batch is not
 * valid CSV, its records are parsed one by one so that only the bad ones fail.
 *
 * Why not csv-parse's own stream: it decodes invalid UTF-8 to U+FFFD without a word, its line
 * counter gives the line a record ends on, and after an error it either stops the stream or (with
 * skip_records_with_error) drops the rest of the chunk on an overlong record. Its strict RFC 4180
 * field parsing, with an error code per fault, is what is used here.
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import type * as CsvSync from 'csv-parse/sync';
import type { Options as CsvOptions } from 'csv-parse/sync';
import { lazyRequire } from '../infra/lazy-require.js';

/** csv-parse, loaded when an import reads its file. */
const csv = lazyRequire<typeof CsvSync>('csv-parse/sync');
import type { RawRecord, ReadItem } from './types.js';

export type ImportFormat = 'csv' | 'jsonl';

/** The reader's one error: a call it cannot serve, or a source it cannot read. */
export class ImportFileError extends Error {
  override readonly name = 'ImportFileError';
  constructor(
    readonly code: 'UNKNOWN_FORMAT' | 'BAD_OPTION' | 'READ_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ReadOptions {
  /**
   * The longest record accepted, in bytes: a CSV record with its quoted line breaks, or one JSON
   * line. A longer one is a row error. Default 1 MiB.
   */
  maxRecordBytes?: number;
  /** Called after each chunk read with the number of bytes read so far (for a progress bar). */
  onBytes?: (bytesRead: number) => void;
}

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/** `.csv` is CSV; `.jsonl` and `.ndjson` are JSON lines; anything else must be said. */
export function formatFromPath(path: string): ImportFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return undefined;
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** One record's bytes (line break removed), or why it is not one, with the line it starts on. */
type Piece = { line: number; bytes: Buffer; error?: undefined } | { line: number; error: string; bytes?: undefined };

/**
 * Cuts bytes into records, across chunk boundaries. With `quoted` (CSV) a line feed inside quotes
 * continues the record. Holds at most `max` bytes of the record being read.
 */
export class RecordSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private tooLong = false;
  private insideQuotes = false;
  private line = 1;
  private start = 1;
  /** Offsets from the start of the input: of the bytes being pushed, the record, the last closing quote. */
  private offset = 0;
  private recordStart = 0;
  private closedAt = -2;
  private lastByte = -1;

  constructor(
    private readonly quoted: boolean,
    private readonly max: number,
  ) {}

  push(chunk: Buffer, out: Piece[]): void {
    const len = chunk.length;
    const base = this.offset;
    let pos = 0;
    let nextQuote = this.quoted ? chunk.indexOf(QUOTE) : -1;
    while (pos < len) {
      const lf = chunk.indexOf(LF, pos);
      const end = lf === -1 ? len : lf;
      // The quotes before the line end move the quoting state; nextQuote is kept between lines
      // so the chunk is searched once.
      while (nextQuote !== -1 && nextQuote < end) {
        const at = base + nextQuote;
        if (this.insideQuotes) {
          this.insideQuotes = false;
          this.closedAt = at;
        } else {
          const prev = nextQuote > 0 ? chunk[nextQuote - 1] : this.lastByte;
          if (at === this.recordStart || prev === COMMA || (prev === QUOTE && this.closedAt === at - 1)) this.insideQuotes = true;
        }
        nextQuote = chunk.indexOf(QUOTE, nextQuote + 1);
      }
      if (lf === -1) {
        this.append(chunk.subarray(pos, len));
        break;
      }
      this.line++;
      if (this.insideQuotes) {
        this.append(chunk.subarray(pos, lf + 1));
      } else {
        this.append(chunk.subarray(pos, lf));
        this.finish(out);
        this.start = this.line;
        this.recordStart = base + lf + 1;
      }
      pos = lf + 1;
    }
    this.offset += len;
    if (len > 0) this.lastByte = chunk[len - 1]!;
  }

  /** The end of the input: the last record, when it has no line break after it. */
  end(out: Piece[]): void {
    if (this.size > 0 || this.tooLong || this.insideQuotes) this.finish(out);
  }

  private append(bytes: Buffer): void {
    if (this.tooLong || bytes.length === 0) return;
    if (this.size + bytes.length > this.max) {
      this.tooLong = true;
      this.parts = [];
      this.size = 0;
      return;
    }
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  private finish(out: Piece[]): void {
    if (this.tooLong) {
      const hint = this.insideQuotes ? ' (a quoted field is never closed?)' : '';
      out.push({ line: this.start, error: `is longer than ${this.max} bytes${hint}` });
    } else if (this.size > 0) {
      let bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
      if (bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
      if (bytes.length > 0) out.push({ line: this.start, bytes });
    }
    this.parts = [];
    this.size = 0;
    this.tooLong = false;
    this.insideQuotes = false;
  }
}

interface Decoder {
  /** Turns pieces into items, in order. Sets `stopped` when nothing after can be read. */
  decode(pieces: Piece[], out: ReadItem[]): void;
  readonly stopped: boolean;
}

const rowError = (line: number, message: string): ReadItem => ({ line, error: { line, field: null, message } });

const CSV_OPTIONS: CsvOptions = {
  bom: false,
  delimiter: ',',
  quote: '"',
  escape: '"',
  record_delimiter: '\n',
  relax_column_count: true,
  relax_quotes: false,
  skip_empty_lines: false,
  max_record_size: 0,
  encoding: 'utf8',
};

function csvMessage(err: unknown): string {
  switch (err instanceof csv().CsvError ? err.code : undefined) {
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'is not valid CSV: a closing quote must be followed by a comma or the end of the record';
    case 'INVALID_OPENING_QUOTE':
      return 'is not valid CSV: a quote inside an unquoted field (quote the whole field and double the quotes in it)';
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'is not valid CSV: a quoted field is never closed';
    default:
      return 'is not valid CSV';
  }
}

/** Parses records already cut by the splitter; undefined when they are not exactly as many valid CSV records. */
function parseRecords(pieces: Buffer[]): string[][] | undefined {
  const joined: Buffer[] = [];
  for (const p of pieces) joined.push(p, NEWLINE);
  try {
    const rows = csv().parse(Buffer.concat(joined), CSV_OPTIONS);
    return rows.length === pieces.length ? rows : undefined;
  } catch {
    return undefined;
  }
}
const NEWLINE = Buffer.from('\n');

function parseOne(bytes: Buffer): { fields: string[]; error?: undefined } | { error: string } {
  try {
    const rows = csv().parse(Buffer.concat([bytes, NEWLINE]), CSV_OPTIONS);
    const [fields] = rows;
    return rows.length === 1 && fields ? { fields } : { error: 'is not valid CSV' };
  } catch (err) {
    return { error: csvMessage(err) };
  }
}

class CsvDecoder implements Decoder {
  private columns: string[] | undefined;
  private protoColumn = false;
  stopped = false;
  private batch: { line: number; bytes: Buffer }[] = [];

  decode(pieces: Piece[], out: ReadItem[]): void {
    for (const p of pieces) {
      if (this.stopped) return;
      const error = p.error ?? (isUtf8(p.bytes) ? undefined : 'is not valid UTF-8');
      if (this.columns === undefined) {
        this.header(p, error, out);
      } else if (error !== undefined || p.bytes === undefined) {
        this.flush(out);
        out.push(rowError(p.line, error ?? 'is not valid CSV'));
      } else {
        this.batch.push(p);
      }
    }
    this.flush(out);
  }

  /** The first record names the columns; without a good one nothing after it can be read. */
  private header(p: Piece, error: string | undefined, out: ReadItem[]): void {
    const fail = (message: string) => {
      out.push(rowError(p.line, `is the header row, and ${message}`));
      this.stopped = true;
    };
    if (error !== undefined || p.bytes === undefined) return fail(error ?? 'is not valid CSV');
    const parsed = parseOne(p.bytes);
    if (parsed.error !== undefined) return fail(parsed.error);
    const names = parsed.fields.map((f) => f.trim());
    const seen = new Set<string>();
    for (const [i, name] of names.entries()) {
      if (name === '') return fail(`has no name for column ${i + 1}`);
      if (seen.has(name)) return fail(`names the column ${JSON.stringify(name)} twice`);
      seen.add(name);
    }
    this.columns = names;
    this.protoColumn = names.includes('__proto__');
  }

  private flush(out: ReadItem[]): void {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    const rows = parseRecords(batch.map((p) => p.bytes));
    for (const [i, p] of batch.entries()) {
      const parsed = rows ? { fields: rows[i]! } : parseOne(p.bytes);
      if (parsed.error !== undefined) out.push(rowError(p.line, parsed.error));
      else out.push(this.record(p.line, parsed.fields));
    }
  }

  private record(line: number, fields: string[]): ReadItem {
    const columns = this.columns!;
    if (fields.length !== columns.length) {
      return rowError(line, `has ${fields.length} field${fields.length === 1 ? '' : 's'}; the header has ${columns.length}`);
    }
    // A column named __proto__ must be data, not a prototype: fromEntries defines properties.
    if (this.protoColumn) return { line, record: Object.fromEntries(columns.map((c, i) => [c, fields[i]])) };
    const record: RawRecord = {};
    for (let i = 0; i < columns.length; i++) record[columns[i]!] = fields[i];
    return { line, record };
  }
}

const BLANK = /^[ \t]*$/;

class JsonlDecoder implements Decoder {
  readonly stopped = false;

  decode(pieces: Piece[], out: ReadItem[]): void {
    for (const p of pieces) {
      if (p.error !== undefined) {
        out.push(rowError(p.line, p.error));
        continue;
      }
      if (!isUtf8(p.bytes)) {
        out.push(rowError(p.line, 'is not valid UTF-8'));
        continue;
      }
      const text = p.bytes.toString('utf8');
      if (BLANK.test(text)) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        const detail = err instanceof Error ? `: ${err.message.slice(0, 200)}` : '';
        out.push(rowError(p.line, `is not valid JSON${detail}`));
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        out.push(rowError(p.line, 'is not a JSON object'));
        continue;
      }
      out.push({ line: p.line, record: value as RawRecord });
    }
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new ImportFileError('READ_FAILED', 'The source gave something other than bytes');
}

/**
 * The records of a file (a path, or a byte stream) in order, each with the line it starts on, and
 * row errors for what is not a record. The format comes from the path's extension when not given.
 * Breaking out of the loop closes the file.
 */
export async function* readRows(source: string | Readable, format?: ImportFormat, options: ReadOptions = {}): AsyncGenerator<ReadItem, void, undefined> {
  const fmt = format ?? (typeof source === 'string' ? formatFromPath(source) : undefined);
  if (fmt !== 'csv' && fmt !== 'jsonl') {
    throw new ImportFileError('UNKNOWN_FORMAT', 'Say the format (csv or jsonl): it cannot be told from the file name');
  }
  const max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (!Number.isSafeInteger(max) || max < 1) throw new ImportFileError('BAD_OPTION', 'maxRecordBytes must be a positive integer');

  const splitter = new RecordSplitter(fmt === 'csv', max);
  const decoder: Decoder = fmt === 'csv' ? new CsvDecoder() : new JsonlDecoder();
  const pieces: Piece[] = [];
  const out: ReadItem[] = [];
  let head: Buffer | undefined = Buffer.alloc(0);
  let bytesRead = 0;

  const feed = (data: Buffer) => {
    splitter.push(data, pieces);
    decoder.decode(pieces, out);
    pieces.length = 0;
  };

  const input = typeof source === 'string' ? createReadStream(source, { highWaterMark: CHUNK_BYTES }) : source;
  try {
    for await (const raw of input) {
      const chunk = toBuffer(raw);
      bytesRead += chunk.length;
      let data = chunk;
      if (head !== undefined) {
        // The byte order mark may arrive split over chunks: wait for three bytes.
        data = head.length > 0 ? Buffer.concat([head, chunk]) : chunk;
        if (data.length < BOM.length) {
          head = data;
          continue;
        }
        head = undefined;
        if (data.subarray(0, BOM.length).equals(BOM)) data = data.subarray(BOM.length);
      }
      feed(data);
      options.onBytes?.(bytesRead);
      for (const item of out) yield item;
      out.length = 0;
      if (decoder.stopped) return;
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new ImportFileError('READ_FAILED', `Cannot read the file: ${detail}`, { cause: err });
  } finally {
    if (typeof source === 'string') input.destroy();
  }
  if (head !== undefined && head.length > 0) feed(head);
  splitter.end(pieces);
  decoder.decode(pieces, out);
  options.onBytes?.(bytesRead);
  for (const item of out) yield item;
}
