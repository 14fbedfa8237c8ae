/**
 * Validation errors in the style of Rails' ActiveModel (Chatwoot's): each is an attribute and a
 * message that reads after the attribute's human name ("Name" + "can't be blank").
 */
import { invalid, type DomainError, type FieldError } from '../../identity/errors.js';

export const MESSAGES = {
  blank: "can't be blank",
  invalid: 'is invalid',
  inclusion: 'is not included in the list',
  taken: 'has already been taken',
  mustExist: 'must exist',
  tooLong: (max: number) => `is too long (maximum is ${max} characters)`,
  tooShort: (min: number) => `is too short (minimum is ${min} characters)`,
} as const;

/** `support_email` -> `Support email`; a nested path keeps its tail: `features.foo` -> `Features foo`. */
export function humanize(field: string): string {
  const [head = '', ...rest] = field.split('.');
  const words = head.replace(/_id$/, '').replace(/_/g, ' ').trim();
  const human = words.charAt(0).toUpperCase() + words.slice(1);
  return [human, ...rest].filter(Boolean).join(' ');
}

export const fullMessage = (e: FieldError): string => `${humanize(e.field)} ${e.message}`;

/** Characters, not UTF-16 units: an emoji counts once. */
export const charLength = (s: string): number => [...s].length;

/** One validation error, e.g. recordInvalid('email', MESSAGES.taken): "Email has already been taken". */
export function recordInvalid(field: string, message: string): DomainError {
  const e = { field, message };
  return invalid('VALIDATION_FAILED', fullMessage(e), [e]);
}

export class RecordErrors {
  readonly list: FieldError[] = [];

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** One 'invalid' error carrying every collected message. */
  toError(): DomainError {
    return invalid('VALIDATION_FAILED', this.list.map(fullMessage).join(', '), this.list);
  }

  /** Throws `toError()` when any error was collected. */
  throwIfAny(): void {
    if (!this.empty) throw this.toError();
  }

  /**
   * A text attribute: a string of at most `max` characters without NUL (which PostgreSQL refuses).
   * `required` also refuses blank text. Returns the text, null, or undefined when it was not sent.
   */
  text(field: string, value: string | null | undefined, opts: { max: number; required?: boolean }): string | null | undefined {
    if (value === undefined || value === null) {
      if (opts.required) this.add(field, MESSAGES.blank);
      return value;
    }
    if (opts.required && value.trim() === '') {
      this.add(field, MESSAGES.blank);
      return value;
    }
    if (value.includes('\u0000')) this.add(field, MESSAGES.invalid);
    else if (charLength(value) > opts.max) this.add(field, MESSAGES.tooLong(opts.max));
    return value;
  }
}
