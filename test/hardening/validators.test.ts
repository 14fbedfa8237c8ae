/**
 * Issue 9, point 12: property-based tests of the validators. Each API's body schemas (compiled as
 * the server compiles them), the password rules, Chatwoot's text rule and the field-error mapping
 * take any JSON, hostile text included, and answer; they throw nothing, or only a typed error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TSchema } from '@sinclair/typebox';
import { AccountParams, AccountUserParams, AgentBotParams, UserParams } from '../../src/apis/chatwoot/schemas.js';
import { RecordErrors } from '../../src/apis/chatwoot/record-errors.js';
import { chatwootPasswordErrors } from '../../src/apis/chatwoot/users.js';
import { CreateWidgetUserBody } from '../../src/apis/jelou/schemas.js';
import { CreateUserBody, LoginBody, ResetPasswordBody, SendResetBody } from '../../src/apis/plazbot/schemas.js';
import { fieldErrorsFromValidation } from '../../src/apis/shared/errors.js';
import { makeValidatorCompiler } from '../../src/apis/shared/validation.js';
import { checkPassword, DEFAULT_PASSWORD_POLICY } from '../../src/identity/passwords.js';
import { anyText } from '../fixtures/arbitraries.js';

const hostile = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.oneof(anyText(30), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom(2 ** 64, -0, 1e308)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(anyText(8), fc.constantFrom('user', 'id', 'names', 'legalId', 'email', 'password', 'name', 'custom_attributes', 'limits')),
      tie('value'),
      {
        maxKeys: 5,
      },
    ),
  ),
})).value;

/** Bodies shaped like each API's, with hostile values in their fields. */
const shaped = fc.oneof(
  hostile,
  fc.record({ user: fc.record({ id: hostile, names: hostile, legalId: hostile }, { requiredKeys: [] }) }, { requiredKeys: [] }),
  fc.record({ name: hostile, email: hostile, password: hostile, custom_attributes: hostile, limits: hostile, user_id: hostile }, { requiredKeys: [] }),
);

describe('validators, property-based (issue 9, point 12)', () => {
  const compile = makeValidatorCompiler();
  const schemas: Record<string, TSchema> = {
    CreateWidgetUserBody,
    CreateUserBody,
    LoginBody,
    SendResetBody,
    ResetPasswordBody,
    AccountParams,
    UserParams,
    AccountUserParams,
    AgentBotParams,
  };
  const validators = Object.entries(schemas).map(([name, schema]) => [name, compile({ schema, method: 'POST', url: '/', httpPart: 'body' })] as const);

  it('every body schema answers any JSON without throwing, and its errors map to fields', () => {
    fc.assert(
      fc.property(shaped, (body) => {
        for (const [name, validate] of validators) {
          const copy = structuredClone(body);
          const ok = (validate as (v: unknown) => boolean)(copy);
          assert.equal(typeof ok, 'boolean', name);
          const errors = (validate as unknown as { errors?: unknown[] | null }).errors;
          if (!ok) {
            assert.ok(Array.isArray(errors) && errors.length > 0, name);
            for (const f of fieldErrorsFromValidation(errors as never, 'body')) assert.ok(typeof f.field === 'string' && typeof f.message === 'string');
          }
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('a Jelou legalId sent as a number passes only as a safe integer', () => {
    const validate = validators.find(([n]) => n === 'CreateWidgetUserBody')![1] as (v: unknown) => boolean;
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.constantFrom(2 ** 53, 2 ** 64, -(2 ** 53))), (legalId) => {
        assert.equal(validate({ user: { id: 'u', names: 'n', legalId } }), Number.isSafeInteger(legalId));
      }),
      { numRuns: 2000 },
    );
  });

  it('the password rules answer any text and policy without throwing', () => {
    const policy = fc.record({
      minLength: fc.integer({ min: 0, max: 200 }),
      maxLength: fc.integer({ min: 0, max: 2000 }),
      rejectCommon: fc.boolean(),
      rejectEmailLocalPart: fc.boolean(),
    });
    fc.assert(
      fc.property(anyText(200), fc.option(anyText(60), { nil: undefined }), policy, (password, email, p) => {
        const v = checkPassword(password, email, p);
        if (v) assert.ok(['TOO_SHORT', 'TOO_LONG', 'COMMON', 'CONTAINS_EMAIL'].includes(v.rule) && typeof v.message === 'string');
        assert.ok(chatwootPasswordErrors(password).every((m) => typeof m === 'string'));
      }),
      { numRuns: 2000 },
    );
    assert.equal(checkPassword('x'.repeat(10_000), 'a@b.co', DEFAULT_PASSWORD_POLICY)?.rule, 'TOO_LONG');
  });

  it("Chatwoot's text rule collects errors for any value and throws only its typed error", () => {
    fc.assert(
      fc.property(fc.option(anyText(300), { nil: undefined }), fc.integer({ min: 0, max: 300 }), fc.boolean(), (value, max, required) => {
        const errors = new RecordErrors();
        const out = errors.text('name', value, { max, required });
        assert.equal(out, value);
        try {
          errors.throwIfAny();
        } catch (err) {
          assert.equal((err as { kind?: string }).kind, 'invalid');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
