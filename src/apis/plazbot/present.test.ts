import assert from 'node:assert/strict';
import { StoreError } from '../../store/errors.js';
import { describe, it } from 'node:test';
import type { UserRow } from '../../identity/users.js';
import { classifyError } from '../shared/errors.js';
import { ok, presentError, presentUser, verifyPage } from './present.js';

const row: UserRow = {
  id: 42,
  company_id: 1,
  email: 'juan@example.com',
  name: 'Juan',
  last_name: null,
  display_name: null,
  password_hash: '$argon2id$v=19$m=12288,t=3,p=1$c2FsdA$aGFzaA',
  email_verified_at: null,
  default_start_week: 1,
  is_external_creation: 0,
  custom_attributes: '{}',
  ui_settings: '{}',
  message_signature: null,
  pubsub_token_digest: 'secret-pubsub',
  credential_version: 0,
  created_via: 'plazbot',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  active: 1,
  user_name: null,
  user_name_key: null,
  external_id: null,
  name_formatted: null,
  email_type: null,
  employee_number: null,
  department: null,
  manager_id: null,
  pubsub_token_sealed: null,
  avatar_url: null,
};

describe('Plazbot presenters', () => {
  it('wraps data in the envelope', () => {
    assert.deepEqual(ok('Usuario creado exitosamente', { userId: '1' }), {
      success: true,
      code: 200,
      errorCode: null,
      message: 'Usuario creado exitosamente',
      data: { userId: '1' },
    });
  });
  it('renders every error with its status in code', () => {
    assert.deepEqual(
      presentError({ status: 409, kind: 'conflict', code: 'EMAIL_TAKEN', message: 'taken', fields: [{ field: 'email', message: 'is taken' }] }),
      {
        success: false,
        code: 409,
        errorCode: 'EMAIL_TAKEN',
        message: 'taken',
        errors: [{ field: 'email', message: 'is taken' }],
      },
    );
  });
  it('renders a bug as a bare 500 and an unreachable database as 503', () => {
    const bug = presentError(classifyError(new Error('secret detail: hunter2')));
    assert.deepEqual(bug, { success: false, code: 500, errorCode: 'INTERNAL_ERROR', message: 'Internal server error', errors: [] });
    const down = classifyError(new StoreError('unavailable', 'connect ECONNREFUSED'));
    assert.equal(down.retryAfter, 1);
    assert.deepEqual(presentError(down), { success: false, code: 503, errorCode: 'SERVICE_UNAVAILABLE', message: down.message, errors: [] });
  });
  it('shows a user with a string id and never its hash or internal tokens', () => {
    const u = presentUser(row, 'wabotify');
    assert.equal(u.id, '42');
    assert.equal(u.lastName, '');
    assert.equal(u.flagVerifiedEmail, false);
    assert.equal(u.isExternalCreation, false);
    assert.equal(u.company, 'wabotify');
    const text = JSON.stringify(u);
    assert.ok(!text.includes('argon2') && !text.includes('secret-pubsub'));
  });
  it('escapes the verification page', () => {
    const html = verifyPage('<b>t</b>', 'a & "b"');
    assert.ok(html.includes('&lt;b&gt;t&lt;/b&gt;'));
    assert.ok(html.includes('a &amp; &quot;b&quot;'));
  });
});
