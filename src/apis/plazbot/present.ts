/** Domain records -> Plazbot's JSON envelope. */
import type { UserRow } from '../../identity/users.js';
import type { Classified } from '../shared/errors.js';
import type { ErrorBody } from './schemas.js';

export function ok<T>(message: string, data: T) {
  return { success: true as const, code: 200 as const, errorCode: null, message, data };
}

/** userId is roster's integer id as a string: the page shows a string ("12345-abcde-67890"). */
export function presentUser(user: UserRow, companyCode: string) {
  return {
    id: String(user.id),
    name: user.name,
    lastName: user.last_name ?? '',
    email: user.email,
    company: companyCode,
    role: 'user',
    avatar: null,
    defaultStartWeek: user.default_start_week,
    isExternalCreation: user.is_external_creation === 1,
    flagVerifiedEmail: user.email_verified_at !== null,
    creationDate: user.created_at,
  };
}

export function presentError(c: Classified): ErrorBody {
  return { success: false, code: c.status, errorCode: c.code, message: c.message, errors: c.fields };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** The short page a verification link shows. */
export function verifyPage(title: string, text: string): string {
  return `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>
`;
}
