/**
 * What Node's HTTP parser refuses before any route runs (headers over its limit, a request it
 * cannot parse) is answered in the format of the API the request line names, with the request id
 * and security headers of every answer, and the connection is closed.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { RawClient } from '../fixtures/raw-http.js';
import { startTestServer, type Stoppable, type TestServer } from '../fixtures/server.js';

describe("the HTTP parser's refusals, in each API's format", () => {
  let srv: TestServer & Stoppable;
  const clients: RawClient[] = [];
  before(async () => {
    srv = await startTestServer('sqlite');
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
  });
  after(() => srv.stop());

  /** Sends `head` raw and reads the one answer; the server closes the connection after it. */
  const refused = async (head: string) => {
    const c = await RawClient.open(srv.url);
    clients.push(c);
    c.write(head);
    const r = await c.response();
    assert.ok(await c.closesWithin(2000), 'the connection is closed');
    assert.match(r.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['connection'], 'close');
    return { ...r, json: JSON.parse(r.body) as Record<string, unknown> };
  };
  const bigHeaders = (path: string) => `POST ${path} HTTP/1.1\r\nHost: roster.test\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
  const badLength = (path: string) => `POST ${path} HTTP/1.1\r\nHost: roster.test\r\nContent-Type: application/json\r\nContent-Length: ten\r\n\r\n{}`;

  it("answers headers over Node's limit with 431 in the widget API's format", async () => {
    const r = await refused(bigHeaders('/v1/widget/user'));
    assert.equal(r.status, 431);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.json.statusMessage, 'failure');
    assert.deepEqual(r.json.message, ["The request's headers are larger than 16384 bytes"]);
    assert.equal((r.json.error as { key: string }).key, 'HEADERS_TOO_LARGE');
  });

  it("answers a bad Content-Length with 400 in Plazbot's, Chatwoot's and SCIM's formats", async () => {
    const plazbot = await refused(badLength('/api/user'));
    assert.equal(plazbot.status, 400);
    assert.deepEqual(plazbot.json, { success: false, code: 400, errorCode: 'INVALID_CONTENT_LENGTH', message: 'Content-Length is not valid', errors: [] });

    const chatwoot = await refused(badLength('/platform/api/v1/users'));
    assert.equal(chatwoot.status, 400);
    assert.deepEqual(chatwoot.json, { error: 'Bad Request', message: 'Content-Length is not valid' });
    // About the HTTP request, never its values: Rails' statuses, not Chatwoot's 422 validation body.
    const chatwootHeaders = await refused(bigHeaders('/platform/api/v1/accounts'));
    assert.equal(chatwootHeaders.status, 431);
    assert.deepEqual(chatwootHeaders.json, { error: 'Request Header Fields Too Large', message: "The request's headers are larger than 16384 bytes" });
    const chatwootLine = await refused('GET /platform/api/v1/accounts HTTP/1.1\r\nHost: roster.test\r\nBad Header: x\r\n\r\n');
    assert.equal(chatwootLine.status, 400);
    assert.deepEqual(chatwootLine.json, { error: 'Bad Request', message: 'A header line is malformed' });

    const scim = await refused(bigHeaders('/scim/v2/Users?filter=x'));
    assert.equal(scim.status, 431);
    assert.equal(scim.headers['content-type'], 'application/scim+json; charset=utf-8');
    assert.deepEqual(scim.json, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '431',
      detail: "The request's headers are larger than 16384 bytes",
    });
  });

  it("answers a request for no API (or an unreadable request line) with Fastify's generic body, as before", async () => {
    const other = await refused(bigHeaders('/healthz'));
    assert.equal(other.status, 431);
    assert.deepEqual(other.json, { error: 'Request Header Fields Too Large', message: "The request's headers are larger than 16384 bytes", statusCode: 431 });
    // Not a prefix: /apiary is not the Plazbot API.
    assert.equal((await refused(badLength('/apiary'))).json.statusCode, 400);
    const garbage = await refused('NOT HTTP AT ALL\r\n\r\n');
    assert.equal(garbage.status, 400);
    assert.deepEqual(garbage.json, { error: 'Bad Request', message: 'The request line is malformed', statusCode: 400 });
  });

  it("answers a request pipelined behind another in the same read with the generic body, not the earlier request's format", async () => {
    const c = await RawClient.open(srv.url);
    clients.push(c);
    c.write('GET /api/user/me HTTP/1.1\r\nHost: roster.test\r\n\r\nPOST /scim/v2/Users HTTP/1.1\r\nHost: roster.test\r\nContent-Length: ten\r\n\r\n');
    assert.ok(await c.closesWithin(2000), 'the connection is closed');
    assert.doesNotMatch(c.data, /errorCode/, 'no answer in the Plazbot format the first request line names');
  });

  it('answers HEAD with the headers only, the Content-Length of the body a GET would have had', async () => {
    const c = await RawClient.open(srv.url);
    clients.push(c);
    c.write(`HEAD /v1/widget/user HTTP/1.1\r\nHost: roster.test\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.ok(await c.closesWithin(2000), 'the connection is closed');
    const [head, rest] = c.data.split('\r\n\r\n');
    assert.match(head!, /^HTTP\/1\.1 431 /);
    assert.ok(Number(/content-length: (\d+)/i.exec(head!)?.[1]) > 0);
    assert.equal(rest, '', 'no body');
  });

  it('keeps serving: the next connection gets its answer', async () => {
    await refused(bigHeaders('/v1/widget/user'));
    const c = await RawClient.open(srv.url);
    clients.push(c);
    c.write('GET /healthz HTTP/1.1\r\nHost: roster.test\r\n\r\n');
    assert.equal((await c.response()).status, 200);
  });
});
