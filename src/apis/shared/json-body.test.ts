import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { anyText, utf16 } from '../../../test/fixtures/arbitraries.js';
import { classifyError } from './errors.js';
import { charsetOf, useJsonBodies } from './json-body.js';
import { findJsonProblem } from './json-guard.js';

describe('the shared JSON body parser, property-based (issue 9, point 12)', () => {
  let app: FastifyInstance;
  before(async () => {
    app = Fastify();
    useJsonBodies(app);
    app.setErrorHandler((err, _req, reply) => {
      const c = classifyError(err);
      return reply.code(c.status).send({ kind: c.kind, code: c.code });
    });
    app.post('/echo', async (req) => ({ body: req.body }));
    await app.ready();
  });
  after(() => app.close());

  const send = (payload: Buffer, headers: Record<string, string>) => app.inject({ method: 'POST', url: '/echo', payload, headers });

  it('answers any bytes with 200, 400 or 415, never 500; what it lets through is well-formed, finite and shallow', async () => {
    const json = fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v));
    const withSurrogate = fc
      .tuple(utf16(6), fc.integer({ min: 0xd800, max: 0xdfff }))
      .map(([s, u]) => JSON.stringify({ k: s }).replace('}', `,"x":"\\u${u.toString(16)}"}`));
    const bytes = fc.oneof(
      json.map((t) => Buffer.from(t)),
      withSurrogate.map((t) => Buffer.from(t)),
      fc.constantFrom('{"n":1e309}', '[1e400]', `${'['.repeat(40)}${']'.repeat(40)}`, '{"__proto__":{"a":1}}', '', ' ', '\ufeff{}').map((t) => Buffer.from(t)),
      fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    );
    const contentType = fc.oneof(
      fc.constant('application/json'),
      fc.constantFrom(
        'application/json; charset=utf-8',
        'application/json;charset="UTF8"',
        'application/json; charset=latin1',
        'application/json; charset=',
        'application/json; charset',
      ),
      anyText(20).map((p) => `application/json; ${p}`),
    );
    const encoding = fc.option(fc.oneof(fc.constantFrom('identity', 'gzip', 'br', ' ', 'IDENTITY'), fc.stringMatching(/^[a-z0-9, -]{0,12}$/)), {
      nil: undefined,
    });
    await fc.assert(
      fc.asyncProperty(bytes, contentType, encoding, async (payload, ct, enc) => {
        const headers: Record<string, string> = { 'content-type': ct, ...(enc !== undefined && { 'content-encoding': enc }) };
        let r;
        try {
          r = await send(payload, headers);
        } catch {
          return; // inject itself refused the header (not a valid header value): nothing reached roster
        }
        assert.ok([200, 400, 415].includes(r.statusCode), `${r.statusCode} ${r.body}`);
        if (r.statusCode === 200) {
          const { body } = r.json<{ body: unknown }>();
          assert.equal(findJsonProblem(body), undefined);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('reads the charset parameter of any Content-Type without throwing', () => {
    fc.assert(
      fc.property(fc.option(anyText(60), { nil: undefined }), (ct) => {
        const c = charsetOf(ct);
        if (c !== undefined) assert.equal(c, c.toLowerCase());
      }),
      { numRuns: 2000 },
    );
    assert.equal(charsetOf('application/json; Charset="UTF-8"'), 'utf-8');
    assert.equal(charsetOf('application/json'), undefined);
  });
});
