/**
 * `multipart/form-data` bodies of the Chatwoot API, read part by part with Dicer (the part splitter
 * busboy is built on, from `@fastify/busboy`). roster reads each part's headers itself instead of
 * letting busboy decode fields, because busboy decodes a field with the charset its part declares,
 * replacing bytes it cannot decode with U+FFFD, and does not say which charset it used. Here:
 *
 * - a field's bytes are UTF-8, decoded strictly (anything else is a 400, never U+FFFD), and so are
 *   the part headers that name it;
 * - a field whose part declares another charset, or a Content-Transfer-Encoding roster does not
 *   decode, is a 415, as for a whole body;
 * - data cut short, a boundary missing or never met, a body that stops mid-part: a 400, never a 500;
 * - fields hold at most `fieldBytes` in all (413), a file is kept up to `fileMaxBytes` and marked
 *   truncated past it (the avatar rule answers 422), parts are counted (422, as a form's parameters).
 *
 * An empty body is no params, as before. Every refusal is typed, so the API answers in its format.
 */
import type { Readable } from 'node:stream';
import { Dicer } from '@fastify/busboy';
import { invalid } from '../../identity/errors.js';
import { MalformedBody, UnsupportedBody } from '../shared/errors.js';

/** A file of a multipart body, as the services take it. */
export interface UploadedFile {
  filename: string;
  /** As the client declared it; roster checks the content itself. */
  mimetype: string;
  data: Buffer;
  /** The file was longer than the limit: `data` holds only its first bytes. */
  truncated: boolean;
}

export interface MultipartLimits {
  /** The most fields (parts that are not files). */
  fields: number;
  /** The most files. */
  files: number;
  /** The most bytes of all fields together. */
  fieldBytes: number;
  /** A file is kept up to this many bytes, then marked truncated. */
  fileMaxBytes: number;
}

/** What a multipart body carried: the fields in order, as (name, text), and the files. */
export interface MultipartBody {
  fields: Array<[string, string]>;
  files: Array<[string, UploadedFile]>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes as UTF-8 text, or undefined when they are not UTF-8. */
export function strictUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const malformed = (why: string) => new MalformedBody('MALFORMED_BODY', `The body is not valid multipart/form-data (${why})`);
const notUtf8 = () => new MalformedBody('MALFORMED_BODY', 'The body is not valid UTF-8');
const tooMany = (limits: MultipartLimits) =>
  invalid('FORM_TOO_MANY_PARAMETERS', `The body has too many parameters (maximum is ${limits.fields} fields and ${limits.files} files)`, [
    { field: '(body)', message: `has too many parameters (maximum is ${limits.fields} fields and ${limits.files} files)` },
  ]);
const tooLarge = (limits: MultipartLimits) =>
  Object.assign(new Error(`The fields of the body are larger than ${limits.fieldBytes} bytes`), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });

/**
 * A header value's main token and parameters (`form-data; name="a"; filename="b"`): names lower-cased,
 * quoted strings unquoted (backslash escapes honoured). Parameters after a malformed one are dropped.
 */
export function headerParams(value: string): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  let i = value.indexOf(';');
  const type = (i < 0 ? value : value.slice(0, i)).trim().toLowerCase();
  while (i >= 0 && i < value.length) {
    const eq = value.indexOf('=', i + 1);
    if (eq < 0) break;
    const name = value
      .slice(i + 1, eq)
      .trim()
      .toLowerCase();
    let j = eq + 1;
    while (value[j] === ' ' || value[j] === '\t') j++;
    let v = '';
    if (value[j] === '"') {
      j++;
      while (j < value.length && value[j] !== '"') {
        if (value[j] === '\\' && j + 1 < value.length) j++;
        v += value[j];
        j++;
      }
      if (j >= value.length) break; // an unterminated quoted string
      i = value.indexOf(';', j + 1);
    } else {
      const end = value.indexOf(';', j);
      v = (end < 0 ? value.slice(j) : value.slice(j, end)).trim();
      i = end;
    }
    if (name && !params.has(name)) params.set(name, v);
  }
  return { type, params };
}

/** The boundary of a `multipart/form-data` Content-Type (RFC 2046: 1 to 70 characters), or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const boundary = headerParams(contentType).params.get('boundary');
  return boundary && boundary.length <= 70 ? boundary : undefined;
}

interface PartHead {
  name: string;
  /** Defined for a file (a filename was given, or the part is application/octet-stream). */
  filename: string | undefined;
  mimetype: string;
  /** A field's bytes are Latin-1 (its part says charset=iso-8859-1), else UTF-8. */
  latin1: boolean;
}

/** Charsets a field may declare: UTF-8, ASCII (a subset of it), Latin-1 (Java's HttpClient's default; decoded exactly). */
const UTF8_CHARSETS: ReadonlySet<string> = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);
const LATIN1_CHARSETS: ReadonlySet<string> = new Set(['iso-8859-1', 'latin1', 'iso_8859-1']);

/** The name and kind of a part from its headers (binary strings, as Dicer gives them); undefined for a part to skip. */
function partHead(header: Record<string, string[] | undefined>): PartHead | undefined {
  const text = (raw: string | undefined) => {
    if (raw === undefined) return undefined;
    const decoded = strictUtf8(Buffer.from(raw, 'latin1'));
    if (decoded === undefined) throw notUtf8();
    return decoded;
  };
  const rawDisposition = header['content-disposition']?.[0];
  // As busboy: a part that is not form-data or has no name is no parameter.
  if (rawDisposition === undefined) return undefined;
  // A file's name may come in the bytes of the client's file system (curl sends them as they are):
  // a disposition that is not UTF-8 is read as Latin-1 for a file with an ASCII field name; roster
  // never uses the file name. A field's disposition must be UTF-8.
  let strict = true;
  let disposition = strictUtf8(Buffer.from(rawDisposition, 'latin1'));
  if (disposition === undefined) {
    strict = false;
    disposition = rawDisposition;
  }
  const { type: kind, params } = headerParams(disposition);
  const name = params.get('name');
  if (kind !== 'form-data' || name === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  if (!strict && (!params.has('filename') || !/^[\x00-\x7f]*$/.test(name))) throw notUtf8();
  const contentType = headerParams(text(header['content-type']?.[0]) ?? 'text/plain');
  const mimetype = contentType.type || 'text/plain';
  let filename = params.get('filename');
  const extended = /^utf-8''(.*)$/i.exec(params.get('filename*') ?? '');
  if (extended) {
    try {
      filename = decodeURIComponent(extended[1]!);
    } catch {
      throw malformed('a filename* that is not %-encoded UTF-8');
    }
  }
  // A file input left empty: browsers send the part with filename="" and no bytes. Rack (so
  // Chatwoot) skips such a part, and so does roster.
  if (filename === '') return undefined;
  const isFile = filename !== undefined || mimetype === 'application/octet-stream';
  let latin1 = false;
  if (!isFile) {
    // A field is text, read as UTF-8 (or Latin-1 when it says so): a part in another charset is not read.
    const charset = contentType.params.get('charset')?.toLowerCase();
    latin1 = charset !== undefined && LATIN1_CHARSETS.has(charset);
    if (charset !== undefined && !latin1 && !UTF8_CHARSETS.has(charset)) {
      throw new UnsupportedBody(
        'UNSUPPORTED_CHARSET',
        `The field ${name.slice(0, 64)} must be UTF-8 or ISO-8859-1 (charset=${charset.slice(0, 40)} is not read)`,
      );
    }
  }
  const transfer = header['content-transfer-encoding']?.[0]?.trim().toLowerCase();
  if (transfer !== undefined && transfer !== '7bit' && transfer !== '8bit' && transfer !== 'binary') {
    throw new UnsupportedBody('UNSUPPORTED_CONTENT_ENCODING', `Content-Transfer-Encoding ${transfer.slice(0, 40)} is not decoded: send the part as it is`);
  }
  return { name, filename: isFile ? (filename ?? '') : undefined, mimetype, latin1 };
}

/**
 * Reads a whole multipart body from `payload`. Rejects with a typed error (400, 413, 415 or 422)
 * on the first problem, and then drains the rest of the request without keeping it.
 */
export function readMultipart(payload: Readable, contentType: string, limits: MultipartLimits): Promise<MultipartBody> {
  const boundary = boundaryOf(contentType);
  if (boundary === undefined) {
    payload.resume();
    return Promise.reject(malformed('no boundary in its Content-Type'));
  }
  return new Promise((resolve, reject) => {
    const fields: Array<[string, string]> = [];
    const files: Array<[string, UploadedFile]> = [];
    let fieldBytes = 0;
    // Counted as their headers come (a part's 'end' comes later).
    let fieldCount = 0;
    let fileCount = 0;
    // Every part, named or not: parts without a name are skipped but still cost their parsing.
    let partCount = 0;
    let sawData = false;
    let settled = false;
    // Dicer may emit 'finish' before the last part's data has been read (when the closing boundary
    // comes in a write of its own): the body is read when Dicer is done and every part has ended.
    let reading = 0;
    let split = false;
    const done = () => {
      if (split && reading === 0) finish(undefined);
    };
    // maxHeaderSize is Dicer's too (its types leave it out): a part's headers are kept up to it.
    const dicer = new Dicer({ boundary, maxHeaderPairs: 32, maxHeaderSize: 16 * 1024 } as ConstructorParameters<typeof Dicer>[0]);

    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      payload.off('close', onClose);
      if (err) {
        // Stop parsing; read and drop what the client still sends, so it hears the answer.
        payload.unpipe(dicer);
        payload.resume();
        reject(err);
      } else {
        resolve({ fields, files });
      }
    };
    const onClose = () => {
      if (!payload.readableEnded) finish(malformed('the request ended before the body did'));
    };

    dicer.on('part', (part) => {
      part.on('error', () => finish(malformed('a part was cut short')));
      if (++partCount > limits.fields + limits.files) {
        part.resume();
        return finish(tooMany(limits));
      }
      part.on('header', (header: Record<string, string[] | undefined>) => {
        let head: PartHead | undefined;
        try {
          head = partHead(header);
          if (head && (head.filename === undefined ? ++fieldCount > limits.fields : ++fileCount > limits.files)) throw tooMany(limits);
        } catch (err) {
          part.resume();
          return finish(err as Error);
        }
        if (!head) return void part.resume();
        const { name, filename, mimetype, latin1 } = head;
        reading++;
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        part.on('data', (chunk: Buffer) => {
          if (settled) return;
          if (filename === undefined) {
            fieldBytes += chunk.length;
            if (fieldBytes > limits.fieldBytes) return finish(tooLarge(limits));
            chunks.push(chunk);
          } else if (!truncated) {
            const room = limits.fileMaxBytes - size;
            if (chunk.length > room) {
              truncated = true;
              if (room > 0) chunks.push(chunk.subarray(0, room));
              size = limits.fileMaxBytes;
            } else {
              chunks.push(chunk);
              size += chunk.length;
            }
          }
        });
        part.on('end', () => {
          if (settled) return;
          reading--;
          const data = Buffer.concat(chunks);
          if (filename !== undefined) {
            files.push([name, { filename, mimetype, data, truncated }]);
          } else {
            const value = latin1 ? data.toString('latin1') : strictUtf8(data);
            if (value === undefined) return finish(notUtf8());
            fields.push([name, value]);
          }
          done();
        });
      });
    });
    dicer.on('error', (err: Error) => {
      // No data at all is no params (an empty body), as Rails reads an empty body.
      if (!sawData && /unexpected end/i.test(err.message)) return finish(undefined);
      finish(malformed(/unexpected end/i.test(err.message) ? 'it ends before its closing boundary' : 'its parts cannot be read'));
    });
    dicer.on('finish', () => {
      split = true;
      done();
    });
    payload.once('data', () => {
      sawData = true;
    });
    payload.on('error', () => finish(malformed('the request could not be read to its end')));
    payload.on('close', onClose);
    payload.pipe(dicer);
  });
}
