/**
 * What roster takes for an email address, in one place with no dependencies: the APIs, SCIM and
 * the import's row checks (src/import/rows.ts) all judge an address by these rules.
 */

/**
 * Emails are compared after trimming, lower-casing and Unicode normalization (NFC); that is also
 * how they are stored. Without NFC, "é" sent precomposed (U+00E9) and as "e" plus a combining
 * accent (U+0065 U+0301) would be two addresses that look the same: two accounts, and a login or
 * reset reaching whichever one the client's keyboard spelled. Migration 015 brought stored
 * addresses to this form.
 */
export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase().normalize('NFC');
}

/**
 * A sane address: well-formed text (no lone surrogate, which the stores would alter), one '@', no
 * spaces or control characters, a local part of at most 64 and a whole of at most 254 characters,
 * and a domain of dot-separated labels.
 */
export function isValidEmail(email: string): boolean {
  if (email.length > 254 || !email.isWellFormed()) return false;
  const at = email.lastIndexOf('@');
  if (at <= 0 || at > 64 || email.indexOf('@') !== at) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f()<>,;:\\"[\]]/.test(local)) return false;
  return /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i.test(domain);
}
