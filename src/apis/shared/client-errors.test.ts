import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyClientError, formatFor, isHeadRequest, requestPathOf, type ClientErrorFormat } from './client-errors.js';

const parserError = (code: string) => Object.assign(new Error('Parse Error'), { code });

describe('classifyClientError', () => {
  for (const [code, status, ours] of [
    ['HPE_HEADER_OVERFLOW', 431, 'HEADERS_TOO_LARGE'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'REQUEST_TIMEOUT'],
    ['HPE_INVALID_CONTENT_LENGTH', 400, 'INVALID_CONTENT_LENGTH'],
    ['HPE_INVALID_CHUNK_SIZE', 400, 'INVALID_TRANSFER_ENCODING'],
    ['HPE_INVALID_HEADER_TOKEN', 400, 'MALFORMED_HEADERS'],
    ['HPE_INVALID_METHOD', 400, 'MALFORMED_REQUEST_LINE'],
    ['HPE_SOMETHING_NEW', 400, 'BAD_REQUEST'],
  ] as const) {
    it(`${code} is ${status} ${ours}`, () => {
      const c = classifyClientError(parserError(code));
      assert.equal(c.status, status);
      assert.equal(c.code, ours);
      assert.equal(c.kind, 'invalid');
    });
  }
});

describe('requestPathOf', () => {
  it('reads the path of the request line the bytes start with', () => {
    assert.equal(requestPathOf(Buffer.from('POST /v1/widget/user HTTP/1.1\r\nHost: x\r\n')), '/v1/widget/user');
    assert.equal(requestPathOf(Buffer.from('GET /scim/v2/Users?filter=userName%20eq%20%22a%22 HTTP/1.1\r\n')), '/scim/v2/Users');
  });
  it('is undefined for anything else: no bytes, a later packet, an absolute or asterisk target', () => {
    for (const raw of [
      undefined,
      'not a buffer',
      Buffer.from(''),
      Buffer.from('aaaa: bbbb\r\n'),
      Buffer.from('GET http://x/v1 HTTP/1.1'),
      Buffer.from('OPTIONS * HTTP/1.1'),
    ]) {
      assert.equal(requestPathOf(raw), undefined);
    }
  });
});

describe('isHeadRequest', () => {
  it('is true only for bytes that start with a HEAD request line', () => {
    assert.equal(isHeadRequest(Buffer.from('HEAD /v1/widget/user HTTP/1.1\r\n')), true);
    for (const raw of [undefined, 'HEAD / HTTP/1.1', Buffer.from('HEADER /x'), Buffer.from('GET / HTTP/1.1'), Buffer.from('head / HTTP/1.1')]) {
      assert.equal(isHeadRequest(raw), false);
    }
  });
});

describe('formatFor', () => {
  const f = (prefix: string): ClientErrorFormat => ({ prefix, contentType: 'application/json', render: () => prefix });
  const formats = [f('/api'), f('/platform/api/v1'), f('/v1')];
  it('takes the API whose prefix the path is under, by whole segments', () => {
    assert.equal(formatFor(formats, '/api/user')?.prefix, '/api');
    assert.equal(formatFor(formats, '/api')?.prefix, '/api');
    assert.equal(formatFor(formats, '/platform/api/v1/users/1')?.prefix, '/platform/api/v1');
    assert.equal(formatFor(formats, '/v1/widget/user')?.prefix, '/v1');
  });
  it('takes none for other paths', () => {
    for (const path of [undefined, '/', '/apiary', '/healthz', '/platform/api/v2/x', '/v10']) assert.equal(formatFor(formats, path), undefined);
  });
});
