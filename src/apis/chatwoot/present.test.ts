import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlatformUser } from './users.js';
import type { Classified } from '../shared/errors.js';
import { chatwootStatus, presentAgentBot, presentError, presentUser, presentUserToken } from './present.js';

const c = (over: Partial<Classified>): Classified => ({ status: 400, kind: 'invalid', code: 'VALIDATION_FAILED', message: 'm', fields: [], ...over });

describe("Chatwoot's statuses", () => {
  it('answers 422 for values and conflicts, 400 for the request itself, 401 for permission', () => {
    assert.equal(chatwootStatus(c({})), 422);
    assert.equal(chatwootStatus(c({ code: 'MALFORMED_JSON' })), 400);
    assert.equal(chatwootStatus(c({ code: 'BAD_REQUEST' })), 400);
    assert.equal(chatwootStatus(c({ code: 'MALFORMED_BODY' })), 400, 'a multipart or form body that cannot be parsed');
    assert.equal(chatwootStatus(c({ code: 'INVALID_PERCENT_ENCODING' })), 400, 'a broken %-escape, as Rack refuses it');
    assert.equal(chatwootStatus(c({ kind: 'conflict', status: 409, code: 'EMAIL_TAKEN' })), 422);
    assert.equal(chatwootStatus(c({ kind: 'forbidden', status: 403, code: 'NON_PERMISSIBLE' })), 401);
    assert.equal(chatwootStatus(c({ kind: 'not_found', status: 404 })), 404);
    assert.equal(chatwootStatus(c({ kind: 'too_large', status: 413 })), 413);
  });
});

describe("Chatwoot's error bodies", () => {
  it('422: full messages and attributes, Ajv wording made Rails-like', () => {
    assert.deepEqual(
      presentError(
        c({
          status: 422,
          fields: [
            { field: 'name', message: 'is required' },
            { field: 'custom_attributes', message: 'must be object,null' },
            { field: 'name', message: 'must be string' },
          ],
        }),
      ),
      { message: "Name can't be blank, Custom attributes must be an object or null, Name must be a string", attributes: ['name', 'custom_attributes'] },
    );
    assert.deepEqual(presentError(c({ status: 422, fields: [{ field: '(body)', message: 'must be object' }] })), {
      message: 'Body must be an object',
      attributes: ['body'],
    });
    assert.deepEqual(presentError(c({ status: 422, fields: [{ field: 'features.sla', message: 'must be boolean' }] })), {
      message: 'Features sla must be a boolean',
      attributes: ['features'],
    });
    assert.deepEqual(presentError(c({ status: 422, message: 'Bad thing' })), { message: 'Bad thing', attributes: [] });
  });

  it("401 and 404: Chatwoot's exact bodies", () => {
    assert.deepEqual(presentError(c({ status: 401, kind: 'unauthorized', code: 'UNAUTHORIZED' })), { error: 'Invalid access_token' });
    assert.deepEqual(presentError(c({ status: 401, kind: 'forbidden', code: 'NON_PERMISSIBLE' })), { error: 'Non permissible resource' });
    assert.deepEqual(presentError(c({ status: 404, kind: 'route_not_found' })), { status: 404, error: 'Not Found' });
  });

  it('others: the reason phrase and a message, never an internal cause', () => {
    assert.deepEqual(presentError(c({ status: 413, kind: 'too_large', message: 'too big' })), { error: 'Payload Too Large', message: 'too big' });
    assert.deepEqual(presentError(c({ status: 503, kind: 'unavailable', message: 'db down' })), { error: 'Service Unavailable', message: 'db down' });
    assert.deepEqual(presentError(c({ status: 500, kind: 'internal', message: 'secret stack' })), { error: 'Internal Server Error' });
  });
});

const user: PlatformUser = {
  id: 5,
  companyId: 1,
  email: 'daniel@acme.inc',
  name: 'Daniel',
  displayName: null,
  messageSignature: null,
  confirmed: true,
  customAttributes: {},
  uiSettings: {},
  accounts: [{ id: 1, name: 'Acme', activeAt: null, role: 'agent' }],
  activeAccount: { id: 1, role: 'agent' },
  avatarUrl: '',
  accessToken: null,
  pubsubToken: null,
};

describe('presenters', () => {
  it("a user's body: available_name falls back to the name; custom_attributes only when not empty", () => {
    const body = presentUser(user);
    assert.equal(body.available_name, 'Daniel');
    assert.equal(body.uid, 'daniel@acme.inc');
    assert.equal(body.account_id, 1);
    assert.equal(body.role, 'agent');
    assert.equal('custom_attributes' in body, false);
    assert.deepEqual(presentUser({ ...user, displayName: 'Dan', customAttributes: { a: 1 } }).custom_attributes, { a: 1 });
    assert.equal(presentUser({ ...user, displayName: 'Dan' }).available_name, 'Dan');
    assert.equal(presentUser({ ...user, activeAccount: null }).account_id, null);
  });

  it('a token answer needs freshly issued tokens', () => {
    assert.throws(() => presentUserToken(user));
    const t = presentUserToken({ ...user, accessToken: 'rut_x', pubsubToken: 'p' });
    assert.deepEqual(t, {
      access_token: 'rut_x',
      expiry: null,
      user: { id: 5, name: 'Daniel', display_name: null, email: 'daniel@acme.inc', pubsub_token: 'p' },
    });
  });

  it("an agent bot's outgoing_url is its URL, not its name", () => {
    const b = presentAgentBot({ id: 1, name: 'Bot', description: null, outgoingUrl: 'https://x.test/', accountId: null, accessToken: null, avatarUrl: '' });
    assert.equal(b.outgoing_url, 'https://x.test/');
  });
});
