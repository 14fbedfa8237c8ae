import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { formatFromPath, ImportFileError, readRows, type ImportFormat, type ReadOptions } from './read.js';
import type { ReadItem } from './types.js';

/** Reads bytes given as a stream of `chunk`-byte pieces (default: one piece). */
async function read(input: string | Buffer, format: ImportFormat, opts: ReadOptions & { chunks?: number[] | number } = {}): Promise<ReadItem[]> {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const pieces: Buffer[] = [];
  const sizes = opts.chunks ?? buf.length;
  let pos = 0;
  for (let i = 0; pos < buf.length; i++) {
    const size = typeof sizes === 'number' ? sizes : (sizes[i % Math.max(1, sizes.length)] ?? buf.length);
    pieces.push(buf.subarray(pos, pos + Math.max(1, size)));
    pos += Math.max(1, size);
  }
  const items: ReadItem[] = [];
  for await (const item of readRows(Readable.from(pieces), format, opts)) items.push(item);
  return items;
}

const err = (line: number, message: string): ReadItem => ({ line, error: { line, field: null, message } });
const rec = (line: number, record: Record<string, unknown>): ReadItem => ({ line, record });

const dir = mkdtempSync(join(tmpdir(), 'roster-import-read-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('readRows: CSV', () => {
  it('reads a header row and records, each with the line it starts on', async () => {
    const items = await read('email,name\na@x.co,Ann\nb@x.co,Bob\n', 'csv');
    assert.deepEqual(items, [rec(2, { email: 'a@x.co', name: 'Ann' }), rec(3, { email: 'b@x.co', name: 'Bob' })]);
  });

  it('reads quoted fields holding commas, doubled quotes and line breaks; the record after a multi-line one has its own line', async () => {
    const csv = ['email,name,note', 'a@x.co,"Doe, Ann","say ""hi"""', 'b@x.co,"two', 'lines","three', '', 'lines"', 'c@x.co,Cy,""', ''].join('\n');
    const items = await read(csv, 'csv');
    assert.deepEqual(items, [
      rec(2, { email: 'a@x.co', name: 'Doe, Ann', note: 'say "hi"' }),
      rec(3, { email: 'b@x.co', name: 'two\nlines', note: 'three\n\nlines' }),
      rec(7, { email: 'c@x.co', name: 'Cy', note: '' }),
    ]);
  });

  it('reads CRLF line ends, keeps a CRLF inside quotes, and reads a last record with no line end', async () => {
    const items = await read('email,name\r\na@x.co,"A\r\nB"\r\nb@x.co,Bo', 'csv');
    assert.deepEqual(items, [rec(2, { email: 'a@x.co', name: 'A\r\nB' }), rec(4, { email: 'b@x.co', name: 'Bo' })]);
  });

  it('skips blank lines, counting them', async () => {
    const items = await read('\nemail\n\n\r\na@x.co\n\n\nb@x.co\n\n', 'csv');
    assert.deepEqual(items, [rec(5, { email: 'a@x.co' }), rec(8, { email: 'b@x.co' })]);
  });

  it('drops a UTF-8 byte order mark, also when it arrives one byte at a time', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('email,name\na@x.co,Zoë\n')]);
    for (const chunks of [bytes.length, 1, 2]) {
      const items = await read(bytes, 'csv', { chunks });
      assert.deepEqual(items, [rec(2, { email: 'a@x.co', name: 'Zoë' })], `chunks of ${chunks}`);
    }
    // A quoted first column right after the mark: the mark is not part of the field.
    const quoted = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('"email"\na@x.co\n')]);
    assert.deepEqual(await read(quoted, 'csv', { chunks: 1 }), [rec(2, { email: 'a@x.co' })]);
    const jsonl = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"email":"a@x.co"}\n')]);
    assert.deepEqual(await read(jsonl, 'jsonl', { chunks: 2 }), [rec(1, { email: 'a@x.co' })]);
  });

  it('trims header names and keeps a column named __proto__ as data', async () => {
    const [item] = await read(' email , __proto__\na@x.co,x\n', 'csv');
    assert.ok(item?.record);
    assert.equal(item.record.email, 'a@x.co');
    assert.ok(Object.hasOwn(item.record, '__proto__'));
    assert.equal(Object.getPrototypeOf(item.record), Object.prototype);
  });

  it('reports a record with too few or too many fields and reads on', async () => {
    const items = await read('email,name\na@x.co\nb@x.co,B,extra\nc@x.co,C\n', 'csv');
    assert.deepEqual(items, [err(2, 'has 1 field; the header has 2'), err(3, 'has 3 fields; the header has 2'), rec(4, { email: 'c@x.co', name: 'C' })]);
  });

  it('reports bad quoting at the line the record starts on and reads the records around it', async () => {
    const csv = 'email,name\na@x.co,A\nb@x.co,"B"x\nc@x.co,C"c\nd@x.co,D\n"e@x.co",E\n';
    const items = await read(csv, 'csv');
    assert.deepEqual(items, [
      rec(2, { email: 'a@x.co', name: 'A' }),
      err(3, 'is not valid CSV: a closing quote must be followed by a comma or the end of the record'),
      // A stray quote inside an unquoted field spoils its own record only.
      err(4, 'is not valid CSV: a quote inside an unquoted field (quote the whole field and double the quotes in it)'),
      rec(5, { email: 'd@x.co', name: 'D' }),
      rec(6, { email: 'e@x.co', name: 'E' }),
    ]);
  });

  it('reports a quote never closed at the end of the file', async () => {
    const items = await read('email,name\na@x.co,A\nb@x.co,"B\nmore\n', 'csv');
    assert.deepEqual(items, [rec(2, { email: 'a@x.co', name: 'A' }), err(3, 'is not valid CSV: a quoted field is never closed')]);
  });

  it('reports a record longer than the bound and reads the next one; an unclosed quote is one error, not a buffered file', async () => {
    const long = 'x'.repeat(200);
    let items = await read(`email,name\na@x.co,${long}\nb@x.co,B\n`, 'csv', { maxRecordBytes: 100, chunks: 7 });
    assert.deepEqual(items, [err(2, 'is longer than 100 bytes'), rec(3, { email: 'b@x.co', name: 'B' })]);
    items = await read(`email,name\na@x.co,"open\n${`${long}\n`.repeat(50)}`, 'csv', { maxRecordBytes: 100, chunks: 64 });
    assert.deepEqual(items, [err(2, 'is longer than 100 bytes (a quoted field is never closed?)')]);
  });

  it('reports a record that is not valid UTF-8 with its line and reads on', async () => {
    const bytes = Buffer.concat([
      Buffer.from('email,name\na@x.co,A\nb@x.co,'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\nc@x.co,"C\n'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('"\nd@x.co,D\n'),
    ]);
    const items = await read(bytes, 'csv');
    assert.deepEqual(items, [
      rec(2, { email: 'a@x.co', name: 'A' }),
      err(3, 'is not valid UTF-8'),
      err(4, 'is not valid UTF-8'),
      rec(6, { email: 'd@x.co', name: 'D' }),
    ]);
  });

  it('stops at a header that cannot name the columns, saying so once', async () => {
    const cases: [string | Buffer, string][] = [
      ['email,name,email\na@x.co,A,B\n', 'is the header row, and names the column "email" twice'],
      ['email,,name\na@x.co,A,B\n', 'is the header row, and has no name for column 2'],
      ['email,"na"me\na@x.co,A\n', 'is the header row, and is not valid CSV: a closing quote must be followed by a comma or the end of the record'],
      [Buffer.concat([Buffer.from('email,n'), Buffer.from([0xff]), Buffer.from('\na@x.co,A\n')]), 'is the header row, and is not valid UTF-8'],
    ];
    for (const [input, message] of cases) assert.deepEqual(await read(input, 'csv'), [err(1, message)]);
    assert.deepEqual(await read(`${'x'.repeat(50)}\na\n`, 'csv', { maxRecordBytes: 10 }), [err(1, 'is the header row, and is longer than 10 bytes')]);
  });

  it('yields nothing for an empty file or one with only a header', async () => {
    assert.deepEqual(await read('', 'csv'), []);
    assert.deepEqual(await read('email,name\n', 'csv'), []);
  });
});

describe('readRows: JSON lines', () => {
  it('reads objects, skips blank lines, and reports lines that are not JSON objects', async () => {
    const text = [
      '{"email":"a@x.co","accounts":[{"account":1}]}',
      '',
      '   ',
      '{"email": "b@x.co"}\r',
      '[1,2]',
      '"text"',
      'null',
      '{"email": ',
      '{} {}',
      '{"email":"c@x.co"}',
    ].join('\n');
    const items = await read(text, 'jsonl');
    assert.equal(items.length, 8);
    assert.deepEqual(items[0], rec(1, { email: 'a@x.co', accounts: [{ account: 1 }] }));
    assert.deepEqual(items[1], rec(4, { email: 'b@x.co' }));
    assert.deepEqual(items.slice(2, 5), [err(5, 'is not a JSON object'), err(6, 'is not a JSON object'), err(7, 'is not a JSON object')]);
    for (const [i, line] of [
      [5, 8],
      [6, 9],
    ] as const) {
      assert.equal(items[i]?.line, line);
      assert.match(items[i]?.error?.message ?? '', /^is not valid JSON: /);
    }
    assert.deepEqual(items[7], rec(10, { email: 'c@x.co' }));
  });

  it('reports invalid UTF-8 and overlong lines by line and reads on', async () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xe2, 0x82]), Buffer.from(`"}\n{"b":"${'y'.repeat(100)}"}\n{"c":1}\n`)]);
    assert.deepEqual(await read(bytes, 'jsonl', { maxRecordBytes: 50, chunks: 3 }), [
      err(1, 'is not valid UTF-8'),
      err(2, 'is longer than 50 bytes'),
      rec(3, { c: 1 }),
    ]);
  });

  it('keeps quotes and line feeds inside JSON strings as JSON does (a raw line feed ends the line)', async () => {
    const items = await read('{"a":"x\\ny","b":"say \\"hi\\""}\n', 'jsonl');
    assert.deepEqual(items, [rec(1, { a: 'x\ny', b: 'say "hi"' })]);
  });

  it('passes escaped lone surrogates and NUL through for the row checks to refuse', async () => {
    const items = await read('{"name":"\\ud800","email":"a\\u0000@x.co"}\n', 'jsonl');
    assert.deepEqual(items, [rec(1, { name: '\ud800', email: 'a\u0000@x.co' })]);
  });
});

describe('readRows: sources and formats', () => {
  it('tells the format from the extension', () => {
    assert.equal(formatFromPath('/a/users.csv'), 'csv');
    assert.equal(formatFromPath('USERS.CSV'), 'csv');
    assert.equal(formatFromPath('u.jsonl'), 'jsonl');
    assert.equal(formatFromPath('u.ndjson'), 'jsonl');
    assert.equal(formatFromPath('u.json'), undefined);
    assert.equal(formatFromPath('users'), undefined);
  });

  it('reads a file by path, its format from the name, and reports bytes read', async () => {
    const path = join(dir, 'users.csv');
    const content = '\ufeffemail\na@x.co\n';
    writeFileSync(path, content);
    const seen: number[] = [];
    const items: ReadItem[] = [];
    for await (const item of readRows(path, undefined, { onBytes: (n) => seen.push(n) })) items.push(item);
    assert.deepEqual(items, [rec(2, { email: 'a@x.co' })]);
    assert.equal(seen.at(-1), Buffer.byteLength(content));
  });

  it('throws its typed error when the format is unknown or the file cannot be read', async () => {
    const drain = async (it: AsyncIterable<unknown>) => {
      for await (const _ of it);
    };
    await assert.rejects(drain(readRows(join(dir, 'users.txt'))), (e) => e instanceof ImportFileError && e.code === 'UNKNOWN_FORMAT');
    await assert.rejects(drain(readRows(Readable.from([Buffer.from('x')]))), (e) => e instanceof ImportFileError && e.code === 'UNKNOWN_FORMAT');
    await assert.rejects(
      drain(readRows(join(dir, 'missing.csv'))),
      (e) => e instanceof ImportFileError && e.code === 'READ_FAILED' && /ENOENT/.test(e.message),
    );
    await assert.rejects(drain(readRows(dir, 'csv')), (e) => e instanceof ImportFileError && e.code === 'READ_FAILED');
    await assert.rejects(drain(readRows(Readable.from([{ not: 'bytes' }]), 'jsonl')), (e) => e instanceof ImportFileError && e.code === 'READ_FAILED');
    await assert.rejects(drain(readRows(Readable.from([]), 'csv', { maxRecordBytes: 0 })), (e) => e instanceof ImportFileError && e.code === 'BAD_OPTION');
  });

  it('streams: the first record comes out before the source has ended', async () => {
    const source = new PassThrough();
    source.write('email\na@x.co\nb@');
    const it = readRows(source, 'csv')[Symbol.asyncIterator]();
    const first = await it.next();
    assert.deepEqual(first.value, rec(2, { email: 'a@x.co' }));
    source.end('x.co\n');
    assert.deepEqual((await it.next()).value, rec(3, { email: 'b@x.co' }));
    assert.equal((await it.next()).done, true);
  });

  it('closes the source when the reader is left early', async () => {
    const source = new PassThrough();
    source.write('{"a":1}\n{"a":2}\n');
    for await (const _ of readRows(source, 'jsonl')) break;
    assert.equal(source.destroyed, true);
  });
});

/** RFC 4180 writing of one field: quoted when it holds a comma, quote, CR or LF. */
const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const chunking = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 });

describe('readRows: properties', () => {
  it('reads back any table written as RFC 4180 CSV, with the right start lines, however it is chunked', async () => {
    const token = fc.oneof(fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('"', ',', '\n', '\r\n', '\r', ' ', 'x', '\ufeff'));
    const field = fc.array(token, { maxLength: 5 }).map((parts) => parts.join(''));
    const row = fc.tuple(field, field, field);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(row, fc.nat(2), fc.boolean()), { maxLength: 20 }), chunking, async (rows, chunks) => {
        let text = 'a,b,c\n';
        let line = 2;
        const expected: ReadItem[] = [];
        for (const [[a, b, c], blanks, crlf] of rows) {
          text += '\n'.repeat(blanks);
          line += blanks;
          const written = [a, b, c].map(csvField).join(',');
          expected.push(rec(line, { a, b, c }));
          text += written + (crlf ? '\r\n' : '\n');
          line += written.split('\n').length;
        }
        assert.deepEqual(await read(text, 'csv', { chunks }), expected);
      }),
      { numRuns: 300 },
    );
  });

  // Bytes that matter to the splitter and parsers, mixed with any bytes at all.
  const tokens = ['"', ',', '\n', '\r\n', '\r', '""', '{', '}', '{"a":"b"}', 'a,b', '\ufeff', '\\'].map((t) => Buffer.from(t));
  const bytes = fc
    .array(
      fc.oneof(
        fc.constantFrom(...tokens),
        fc.uint8Array({ maxLength: 6 }).map((u) => Buffer.from(u)),
        fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xed, 0xa0, 0x80])),
      ),
      { maxLength: 80 },
    )
    .map((parts) => Buffer.concat(parts));

  for (const format of ['csv', 'jsonl'] as const) {
    it(`${format}: any bytes give records and row errors, never a throw; lines rise; chunking changes nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(bytes, chunking, fc.integer({ min: 1, max: 64 }), async (input, chunks, maxRecordBytes) => {
          const items = await read(input, format, { chunks, maxRecordBytes });
          const lines = input.toString('latin1').split('\n').length;
          let last = 0;
          for (const item of items) {
            assert.ok(Number.isSafeInteger(item.line) && item.line >= 1 && item.line <= lines && item.line >= last);
            last = item.line;
            if (item.error) {
              assert.deepEqual(Object.keys(item.error), ['line', 'field', 'message']);
              assert.equal(item.error.line, item.line);
              assert.equal(item.error.field, null);
            } else {
              assert.equal(typeof item.record, 'object');
              if (format === 'csv') for (const v of Object.values(item.record)) assert.equal(typeof v, 'string');
            }
          }
          assert.deepEqual(await read(input, format, { maxRecordBytes }), items);
        }),
        { numRuns: 500 },
      );
    });
  }
});
