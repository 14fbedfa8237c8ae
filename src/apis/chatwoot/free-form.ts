/**
 * Chatwoot's free-form JSON fields (an account's custom attributes and limits, a user's custom
 * attributes): stored as sent, so bounded in depth and size, with Rails-style messages (422).
 */
import type { preHandlerAsyncHookHandler } from 'fastify';
import { checkFreeForm, type FreeFormLimits } from '../shared/json-guard.js';
import { LIMITS } from './limits.js';
import { recordInvalid } from './record-errors.js';

export const FREE_FORM_FIELDS = ['custom_attributes', 'limits'] as const;

/** Each field's value: its own object is level 1; serialized as JSON, at most 16 KiB. */
export const FREE_FORM_LIMITS: FreeFormLimits = LIMITS.freeForm;

export const FREE_FORM_MESSAGES = {
  tooDeep: `is nested too deeply (maximum is ${FREE_FORM_LIMITS.maxDepth} levels)`,
  tooLarge: `is too large (maximum is ${FREE_FORM_LIMITS.maxBytes} bytes)`,
  inexact: `holds a number that cannot be kept exactly (whole numbers at most ${Number.MAX_SAFE_INTEGER})`,
} as const;

/** Throws the 422 for `field` when `value` is over the limits. */
export function checkFreeFormField(field: string, value: unknown): void {
  const problem = checkFreeForm(value, FREE_FORM_LIMITS);
  if (problem) {
    const message = { too_deep: FREE_FORM_MESSAGES.tooDeep, too_large: FREE_FORM_MESSAGES.tooLarge, inexact_number: FREE_FORM_MESSAGES.inexact }[problem];
    throw recordInvalid(field, message);
  }
}

/**
 * A preHandler: after the token, the target's lookup and permission and the types (Chatwoot's
 * order), the free-form fields of the body are checked before any rule or statement sees them.
 */
export const checkFreeFormBody: preHandlerAsyncHookHandler = async (req) => {
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  for (const field of FREE_FORM_FIELDS) {
    const value = (body as Record<string, unknown>)[field];
    if (value !== undefined && value !== null) checkFreeFormField(field, value);
  }
};
