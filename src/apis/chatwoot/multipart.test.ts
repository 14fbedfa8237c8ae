import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { DomainError } from '../../identity/errors.js';
import { classifyError, MalformedBody, UnsupportedBody } from '../shared/errors.js';
import { boundaryOf, headerParams, readMultipart, strictUtf8, type MultipartLimits } from './multipart.js';

const LIMITS: MultipartLimits = { fields: 3, files: 1, fieldBytes: 64, fileMaxBytes: 8 };
const CT = 'multipart/form-data; boundary=B';
const part = (head: string, value: string | Buffer) => Buffer.concat([Buffer.from(`--B\r\n${head}\r\n\r\n`), Buffer.from(value), Buffer.from('\r\n')]);
const body = (...parts: Buffer[]) => Buffer.concat([...parts, Buffer.from('--B--\r\n')]);
/** The body in chunks of `size` bytes, so parts and characters are split across writes. */
const stream = (bytes: Buffer, size = 3) =>
  Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));

describe('multipart: header parameters and boundaries', () => {
  it('reads quoted and bare parameters, escapes, and refuses a boundary it cannot use', () => {
    const { type, params } = headerParams('Form-Data; name="a\\"b; c"; filename=x.png;  NAME=ignored');
    assert.equal(type, 'form-data');
    assert.equal(params.get('name'), 'a"b; c');
    assert.equal(params.get('filename'), 'x.png');
    assert.equal(boundaryOf('multipart/form-data; boundary="a b"'), 'a b');
    assert.equal(boundaryOf('multipart/form-data'), undefined);
    assert.equal(boundaryOf('multipart/form-data; boundary='), undefined);
    assert.equal(boundaryOf(`multipart/form-data; boundary=${'x'.repeat(71)}`), undefined);
    assert.equal(headerParams('form-data; name="unterminated').params.has('name'), false);
  });

  it('decodes UTF-8 strictly', () => {
    assert.equal(strictUtf8(Buffer.from('José 😀')), 'José 😀');
    assert.equal(strictUtf8(Buffer.from([0xff, 0xfe, 0x42])), undefined);
    assert.equal(strictUtf8(Buffer.from([0xed, 0xa0, 0x80])), undefined, 'an encoded surrogate');
    assert.equal(strictUtf8(Buffer.from([0xc0, 0xaf])), undefined, 'an overlong form');
  });
});

describe('multipart: readMultipart', () => {
  it('reads fields and files split across chunks, a character split too', async () => {
    const read = await readMultipart(
      stream(
        body(
          part('Content-Disposition: form-data; name="name"', 'José ☃'),
          part('Content-Disposition: form-data; name="avatar"; filename="a.png"', '0123456789'),
        ),
      ),
      CT,
      LIMITS,
    );
    assert.deepEqual(read.fields, [['name', 'José ☃']]);
    assert.equal(read.files.length, 1);
    const [name, file] = read.files[0]!;
    assert.equal(name, 'avatar');
    assert.equal(file.filename, 'a.png');
    assert.deepEqual(file.data, Buffer.from('01234567'), 'kept up to fileMaxBytes');
    assert.equal(file.truncated, true);
  });

  it('reads an empty body as no params', async () => {
    assert.deepEqual(await readMultipart(Readable.from([]), CT, LIMITS), { fields: [], files: [] });
  });

  const refusal = async (bytes: Buffer | string, contentType = CT) => {
    try {
      await readMultipart(stream(Buffer.from(bytes)), contentType, LIMITS);
    } catch (err) {
      return err as Error;
    }
    assert.fail('read without refusal');
  };

  it('refuses malformed data with a typed 400, never an error that would be a 500', async () => {
    for (const [bytes, contentType] of [
      ['x', 'multipart/form-data'],
      ['--B\r\nContent-Disposition: form-data; name="name"\r\n\r\ntrunc', CT],
      [body(part('Content-Disposition: form-data; name="name"', 'x')).toString(), 'multipart/form-data; boundary=Y'],
      ['--B\r\nContent-Disposition: form-da', CT],
      ['garbage', CT],
    ] as const) {
      const err = await refusal(bytes, contentType);
      assert.ok(err instanceof MalformedBody, `${JSON.stringify(bytes)}: ${String(err)}`);
      assert.equal(classifyError(err).status, 400);
    }
  });

  it('refuses bytes that are not UTF-8 in values and names (400), other charsets and transfer encodings (415)', async () => {
    const notUtf8 = Buffer.from([0xff, 0xfe, 0x42]);
    for (const bytes of [
      body(part('Content-Disposition: form-data; name="name"', notUtf8)),
      body(Buffer.concat([Buffer.from('--B\r\nContent-Disposition: form-data; name="'), notUtf8, Buffer.from('"\r\n\r\nx\r\n')])),
    ]) {
      const err = await refusal(bytes);
      assert.ok(err instanceof MalformedBody);
      assert.equal(err.message, 'The body is not valid UTF-8');
    }
    const utf16 = await refusal(
      body(part('Content-Disposition: form-data; name="name"\r\nContent-Type: text/plain; charset=UTF-16LE', Buffer.from('x', 'utf16le'))),
    );
    assert.ok(utf16 instanceof UnsupportedBody);
    assert.equal(classifyError(utf16).status, 415);
    const qp = await refusal(body(part('Content-Disposition: form-data; name="name"\r\nContent-Transfer-Encoding: quoted-printable', 'x')));
    assert.ok(qp instanceof UnsupportedBody);
    // A file's bytes are its own: a charset on a file part is no refusal.
    const file = await readMultipart(
      stream(body(part('Content-Disposition: form-data; name="f"; filename="a"\r\nContent-Type: text/plain; charset=latin1', notUtf8))),
      CT,
      LIMITS,
    );
    assert.deepEqual(file.files[0]![1].data, notUtf8);
  });

  it('reads a field declared ASCII as UTF-8 and one declared ISO-8859-1 as Latin-1 (Java clients send it), exactly', async () => {
    const read = await readMultipart(
      stream(
        body(
          part('Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=US-ASCII', 'java'),
          part('Content-Disposition: form-data; name="b"\r\nContent-Type: text/plain; charset=ISO-8859-1', Buffer.from([0x63, 0x61, 0x66, 0xe9])),
        ),
      ),
      CT,
      LIMITS,
    );
    assert.deepEqual(read.fields, [
      ['a', 'java'],
      ['b', 'caf\u00e9'],
    ]);
  });

  it("keeps a file whose name is not UTF-8 (a file system's bytes), and still refuses such a field name", async () => {
    const disposition = (name: string) =>
      Buffer.concat([
        Buffer.from(`--B\r\nContent-Disposition: form-data; name="${name}"; filename="caf`),
        Buffer.from([0xe9]),
        Buffer.from('.png"\r\n\r\nPNG\r\n'),
      ]);
    const read = await readMultipart(stream(body(disposition('avatar'))), CT, LIMITS);
    assert.equal(read.files[0]![0], 'avatar');
    assert.equal(read.files[0]![1].filename, 'caf\u00e9.png');
    const named = await refusal(body(disposition('av\u00e9')));
    assert.ok(named instanceof MalformedBody);
  });

  it('skips a file input left empty (filename="", as browsers send it), as Rack does', async () => {
    const read = await readMultipart(
      stream(
        body(
          part('Content-Disposition: form-data; name="avatar"; filename=""\r\nContent-Type: application/octet-stream', ''),
          part('Content-Disposition: form-data; name="a"', '1'),
        ),
      ),
      CT,
      LIMITS,
    );
    assert.deepEqual(read, { fields: [['a', '1']], files: [] });
  });

  it('counts every part, named or not: a flood of parts without a name is refused (422), not parsed to the end', async () => {
    const unnamed = Array.from({ length: 50 }, () => part('Content-Disposition: form-data', 'z'));
    const err = await refusal(body(...unnamed, part('Content-Disposition: form-data; name="a"', '1')));
    assert.equal((err as DomainError).code, 'FORM_TOO_MANY_PARAMETERS');
  });

  it('bounds the fields: their bytes (413), their number and the files (422)', async () => {
    const big = await refusal(body(part('Content-Disposition: form-data; name="a"', 'x'.repeat(65))));
    assert.equal(classifyError(big).status, 413);
    const fields = await refusal(body(...['a', 'b', 'c', 'd'].map((n) => part(`Content-Disposition: form-data; name="${n}"`, '1'))));
    assert.ok(fields instanceof DomainError);
    assert.equal(classifyError(fields).status, 400, 'kind invalid (Chatwoot answers it 422, as a form with too many parameters)');
    assert.equal(fields.code, 'FORM_TOO_MANY_PARAMETERS');
    const files = await refusal(
      body(part('Content-Disposition: form-data; name="a"; filename="a"', '1'), part('Content-Disposition: form-data; name="b"; filename="b"', '2')),
    );
    assert.equal((files as DomainError).code, 'FORM_TOO_MANY_PARAMETERS');
  });
});
