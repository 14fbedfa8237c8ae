import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../../identity/errors.js';
import { charLength, fullMessage, humanize, MESSAGES, RecordErrors, recordInvalid } from './record-errors.js';

describe('record errors (Rails style)', () => {
  it('humanizes attribute names as ActiveModel does', () => {
    assert.equal(humanize('name'), 'Name');
    assert.equal(humanize('support_email'), 'Support email');
    assert.equal(humanize('user_id'), 'User');
    assert.equal(humanize('custom_attributes'), 'Custom attributes');
    assert.equal(humanize('features.foo'), 'Features foo');
  });

  it('builds full messages', () => {
    assert.equal(fullMessage({ field: 'user', message: MESSAGES.mustExist }), 'User must exist');
    assert.equal(fullMessage({ field: 'domain', message: MESSAGES.tooLong(100) }), 'Domain is too long (maximum is 100 characters)');
  });

  it('collects every error and throws them as one, joined by ", "', () => {
    const e = new RecordErrors();
    e.add('name', MESSAGES.blank);
    e.add('role', MESSAGES.inclusion);
    assert.throws(
      () => e.throwIfAny(),
      (err: unknown) =>
        err instanceof DomainError &&
        err.kind === 'invalid' &&
        err.message === "Name can't be blank, Role is not included in the list" &&
        err.fields.length === 2,
    );
    assert.doesNotThrow(() => new RecordErrors().throwIfAny());
  });

  it('checks text: required, blank, length in characters, NUL', () => {
    const e = new RecordErrors();
    assert.equal(e.text('a', undefined, { max: 5 }), undefined);
    assert.equal(e.text('b', null, { max: 5 }), null);
    assert.equal(e.empty, true);
    e.text('c', undefined, { max: 5, required: true });
    e.text('d', '  ', { max: 5, required: true });
    e.text('e', '123456', { max: 5 });
    e.text('f', 'a\u0000', { max: 5 });
    assert.equal(e.text('g', '😀😀😀😀😀', { max: 5 }), '😀😀😀😀😀');
    assert.deepEqual(
      e.list.map((x) => [x.field, x.message]),
      [
        ['c', MESSAGES.blank],
        ['d', MESSAGES.blank],
        ['e', MESSAGES.tooLong(5)],
        ['f', MESSAGES.invalid],
      ],
    );
  });

  it('counts characters, not UTF-16 units', () => assert.equal(charLength('a😀'), 2));

  it('makes a single error', () => {
    const err = recordInvalid('email', MESSAGES.taken);
    assert.equal(err.message, 'Email has already been taken');
    assert.deepEqual(err.fields, [{ field: 'email', message: 'has already been taken' }]);
  });
});
