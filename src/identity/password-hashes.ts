/**
 * Password hashes that users bring with them (`roster import`, issue 13) and roster's own.
 *
 * Accepted stored forms, checked strictly at import time by `parseForeignHash`:
 * - bcrypt `$2a$`, `$2b$`, `$2y$` + two-digit cost + 22-char salt + 31-char hash, in bcrypt's own
 *   base64 with canonical trailing bits (Devise/Rails, Laravel, PHP `password_hash`, bcryptjs).
 * - argon2id and argon2i PHC strings, `$argon2id$v=19$m=..,t=..,p=..$salt$hash`; `v=16` and the
 *   version-less form of older libraries (which means 16) too. Salt and hash in unpadded standard
 *   base64. No `keyid`/`data` parameters: a keyed hash cannot be verified without its key.
 * - scrypt in the PHC form passlib and @phc/scrypt write, `$scrypt$ln=..,r=..,p=..$salt$hash`
 *   (N = 2^ln), salt and hash in unpadded standard base64; the key length is the hash's length.
 * - Django `pbkdf2_sha256$<iterations>$<salt>$<hash>` and `pbkdf2_sha1$...` (the same PBKDF2 with
 *   HMAC-SHA1, which is still sound as a PBKDF2 PRF; Django ships it), the hash in padded standard
 *   base64 of the full digest, the salt used as its UTF-8 text (printable ASCII, no `$`).
 * Not accepted (an `unknown_format` error says so): bcrypt `$2x$`/`$2$`, argon2d, scrypt `$7$`,
 * Django's `argon2$`, `bcrypt$`, `bcrypt_sha256$` and `scrypt$` wrappers, Werkzeug's `scrypt:` and
 * `pbkdf2:`, passlib's `$pbkdf2-sha256$`, crypt `$1$`/`$5$`/`$6$`, unsalted digests.
 *
 * Parameters are bounded (FOREIGN_HASH_LIMITS) so that a hostile stored hash cannot make one
 * verification take more than a couple of seconds or more than 256 MiB. Verification here is
 * synchronous: it runs in the password worker threads (password-worker.ts, through passwords.ts),
 * never on the event loop, and digests are compared with crypto.timingSafeEqual (argon2's
 * comparison is the library's constant-time one).
 *
 * Nothing here echoes a stored hash in an error message: errors name the format and the reason.
 */
import { Algorithm, verifySync as argon2Verify } from '@node-rs/argon2';
import { verifySync as bcryptVerify } from '@node-rs/bcrypt';
import { pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * roster's own argon2id parameters: 12 MiB, 3 passes, 1 lane, 32-byte hash. OWASP's Password
 * Storage Cheat Sheet lists them among the configurations of equal strength to its minimum
 * (19 MiB, 2 passes), which roster used before; hashes at those still verify, and are re-hashed
 * at these on the next login (needsRehash).
 *
 * Why these (issue 15): @node-rs/argon2 asks Linux for transparent huge pages (2 MiB) for its
 * block. 12 MiB is six of them; 19 MiB is nine and a half, and argon2's scattered reads over the
 * last, small-paged MiB and the faults that map it cost: a hash at these parameters took 6.4 to
 * 6.9 ms of CPU on the development machine, one at 19 MiB 12.6 to 14.2 ms, and it holds 7 MiB less
 * memory while it runs (bench/README.md, round five).
 *
 * The single place they are defined: hash new passwords with these, and needsRehash compares
 * stored hashes against them.
 */
export const ROSTER_ARGON2 = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 12288,
  timeCost: 3,
  parallelism: 1,
  outputLen: 32,
} as const;

/**
 * Upper bounds on what a stored hash may ask for: the worst case each allows (bcrypt cost 15,
 * 10M PBKDF2-SHA256 iterations, scrypt N*r*p = 2^22, argon2 m*t = 4 GiB) takes 1 to 1.5 s on an idle
 * core of the 2-core development machine (about 3 s under load; bench/password-hashes.ts), and
 * none needs more than 256 MiB. The defaults of Devise, Laravel, PHP, Django and passlib are far
 * below them. Above them a hash is refused at parse time.
 */
export const FOREIGN_HASH_LIMITS = {
  bcrypt: { maxCost: 15 },
  argon2: {
    /** m, in KiB. */
    maxMemoryKiB: 262_144,
    /** m * t, in KiB: the memory passed over, which is what the time grows with. */
    maxWorkKiB: 4_194_304,
    maxParallelism: 16,
  },
  scrypt: {
    /** 128 * N * r, the scrypt table. */
    maxMemoryBytes: 256 * 1024 * 1024,
    /** N * r * p, which is what the time grows with. */
    maxWork: 2 ** 22,
  },
  pbkdf2: { maxIterations: 10_000_000 },
  /** Raw salt bytes (PHC forms). */
  saltBytes: { min: 8, max: 64 },
  /** Raw hash bytes (argon2, scrypt). */
  hashBytes: { min: 16, max: 64 },
  /** The whole stored string, in UTF-16 code units. */
  maxLength: 1024,
} as const;

export type HashFormat = 'bcrypt' | 'argon2id' | 'argon2i' | 'scrypt' | 'pbkdf2_sha256' | 'pbkdf2_sha1';

/** What a stored hash is and the parameters it was made with; never its salt or digest. */
export type ParsedHash =
  | { readonly format: 'bcrypt'; readonly variant: '2a' | '2b' | '2y'; readonly cost: number }
  | {
      readonly format: 'argon2id' | 'argon2i';
      readonly version: 16 | 19;
      readonly memoryKiB: number;
      readonly timeCost: number;
      readonly parallelism: number;
      readonly saltBytes: number;
      readonly hashBytes: number;
    }
  | {
      readonly format: 'scrypt';
      readonly logN: number;
      readonly r: number;
      readonly p: number;
      readonly saltBytes: number;
      readonly hashBytes: number;
    }
  | {
      readonly format: 'pbkdf2_sha256' | 'pbkdf2_sha1';
      readonly iterations: number;
      readonly saltLength: number;
      readonly hashBytes: number;
    };

/**
 * - `unknown_format`: not one of the accepted forms (the message names a recognised but
 *   unsupported one).
 * - `malformed`: the format is recognised but the string is not a valid hash of it.
 * - `out_of_bounds`: valid, but its parameters exceed FOREIGN_HASH_LIMITS.
 */
export type HashFormatReason = 'unknown_format' | 'malformed' | 'out_of_bounds';

export class HashFormatError extends Error {
  override readonly name = 'HashFormatError';
  constructor(
    readonly reason: HashFormatReason,
    message: string,
    /** The recognised format, when there is one. */
    readonly format?: HashFormat,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Recognition

const UNSUPPORTED: ReadonlyArray<readonly [string, string]> = [
  ['$2x$', 'bcrypt $2x$ (crypt_blowfish bug-compatible) hashes are not supported'],
  ['$2$', 'bcrypt $2$ (pre-1997) hashes are not supported'],
  ['$argon2d$', 'argon2d is not a password hash; only argon2id and argon2i are supported'],
  ['$7$', 'scrypt in crypt $7$ form is not supported; use the PHC form $scrypt$ln=..,r=..,p=..$salt$hash'],
  ['argon2$', "Django's argon2$ wrapper is not supported; strip the leading 'argon2' to get the PHC string"],
  ['bcrypt_sha256$', "Django's bcrypt_sha256$ (bcrypt of a SHA-256 digest) is not supported"],
  ['bcrypt$', "Django's bcrypt$ wrapper is not supported; strip the leading 'bcrypt' to get the bcrypt hash"],
  ['scrypt$', "Django's scrypt$ form is not supported"],
  ['scrypt:', "Werkzeug's scrypt: form is not supported"],
  ['pbkdf2:', "Werkzeug's pbkdf2: form is not supported"],
  ['$pbkdf2', "passlib's $pbkdf2 forms are not supported"],
  ['$1$', 'MD5-crypt ($1$) is not supported'],
  ['$5$', 'SHA-256-crypt ($5$) is not supported'],
  ['$6$', 'SHA-512-crypt ($6$) is not supported'],
];

/** The format a stored hash claims by its prefix, without validating the rest. */
function claimedFormat(stored: string): HashFormat | undefined {
  if (/^\$2[aby]\$/.test(stored)) return 'bcrypt';
  if (stored.startsWith('$argon2id$')) return 'argon2id';
  if (stored.startsWith('$argon2i$')) return 'argon2i';
  if (stored.startsWith('$scrypt$')) return 'scrypt';
  if (stored.startsWith('pbkdf2_sha256$')) return 'pbkdf2_sha256';
  if (stored.startsWith('pbkdf2_sha1$')) return 'pbkdf2_sha1';
  return undefined;
}

/**
 * A short name for reporting, read from the prefix only ('unknown' when none matches). It does
 * not validate: use parseForeignHash for that. Never throws.
 */
export function hashFormat(stored: string): HashFormat | 'unknown' {
  return typeof stored === 'string' ? (claimedFormat(stored) ?? 'unknown') : 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface Parsed {
  info: ParsedHash;
  /** Raw salt: bytes for scrypt, the UTF-8 of Django's salt text for pbkdf2. */
  salt?: Buffer;
  digest?: Buffer;
}

const malformed = (format: HashFormat, why: string) => new HashFormatError('malformed', `malformed ${format} hash: ${why}`, format);
const outOfBounds = (format: HashFormat, why: string) => new HashFormatError('out_of_bounds', `${format} hash parameters out of bounds: ${why}`, format);

/** A decimal without leading zeros, at most 10 digits. */
function decimal(format: HashFormat, name: string, text: string): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text)) throw malformed(format, `${name} must be a decimal number`);
  return Number(text);
}

/** Standard base64, padded or not, and canonical (it re-encodes to the same text). */
function base64(format: HashFormat, name: string, text: string, padded: boolean): Buffer {
  const alphabet = padded ? /^[A-Za-z0-9+/]*={0,2}$/ : /^[A-Za-z0-9+/]*$/;
  if (!alphabet.test(text)) throw malformed(format, `${name} is not ${padded ? '' : 'unpadded '}standard base64`);
  const bytes = Buffer.from(text, 'base64');
  let again = bytes.toString('base64');
  if (!padded) again = again.replace(/=+$/, '');
  if (again !== text) throw malformed(format, `${name} is not canonical base64`);
  return bytes;
}

function checkLength(format: HashFormat, name: string, bytes: Buffer, limits: { min: number; max: number }): void {
  if (bytes.length < limits.min || bytes.length > limits.max) {
    throw malformed(format, `${name} must be ${limits.min} to ${limits.max} bytes, not ${bytes.length}`);
  }
}

/** `k=v,k=v,...` with exactly these keys in this order. */
function phcParams(format: HashFormat, text: string, keys: readonly string[]): number[] {
  const parts = text.split(',');
  const expected = keys.map((k) => `${k}=..`).join(',');
  if (parts.length !== keys.length) throw malformed(format, `parameters must be exactly ${expected}`);
  return parts.map((part, i) => {
    const key = keys[i] ?? '';
    if (!part.startsWith(`${key}=`)) throw malformed(format, `parameters must be exactly ${expected}`);
    return decimal(format, key, part.slice(key.length + 1));
  });
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function parseBcrypt(stored: string): Parsed {
  const f = 'bcrypt';
  const m = /^\$(2[aby])\$([0-9]{2})\$([./A-Za-z0-9]{53})$/.exec(stored);
  if (!m) throw malformed(f, 'expected $2a$/$2b$/$2y$, a two-digit cost, $ and 53 characters of bcrypt base64');
  const [, variant, costText, rest] = m as unknown as [string, '2a' | '2b' | '2y', string, string];
  const cost = Number(costText);
  if (cost < 4 || cost > 31) throw malformed(f, `cost must be 04 to 31, not ${costText}`);
  if (cost > FOREIGN_HASH_LIMITS.bcrypt.maxCost) throw outOfBounds(f, `cost ${cost} is above ${FOREIGN_HASH_LIMITS.bcrypt.maxCost}`);
  // 22 characters carry the 16-byte salt (the last one 2 bits), 31 the 23-byte hash (the last one
  // 4 bits); bcrypt itself never writes the unused bits, and the verifier refuses them.
  if (BCRYPT_ALPHABET.indexOf(rest.charAt(21)) % 16 !== 0) throw malformed(f, 'salt is not canonical bcrypt base64');
  if (BCRYPT_ALPHABET.indexOf(rest.charAt(52)) % 4 !== 0) throw malformed(f, 'hash is not canonical bcrypt base64');
  return { info: { format: f, variant, cost } };
}

function parseArgon2(stored: string, f: 'argon2id' | 'argon2i'): Parsed {
  const parts = stored.split('$');
  // ['', id, (v=..), params, salt, hash]
  let version: 16 | 19 = 16;
  const versioned = parts[2]?.startsWith('v=') === true;
  if (parts.length !== (versioned ? 6 : 5)) throw malformed(f, 'expected $id$v=..$m=..,t=..,p=..$salt$hash');
  if (versioned) {
    const v = parts[2];
    if (v === 'v=19') version = 19;
    else if (v === 'v=16') version = 16;
    else throw malformed(f, 'version must be v=19 or v=16');
    parts.splice(2, 1);
  }
  const [, , params = '', saltText = '', hashText = ''] = parts;
  const [m = 0, t = 0, p = 0] = phcParams(f, params, ['m', 't', 'p']);
  if (p < 1) throw malformed(f, 'p must be at least 1');
  if (t < 1) throw malformed(f, 't must be at least 1');
  if (m < 8 * p) throw malformed(f, 'm must be at least 8 * p');
  const L = FOREIGN_HASH_LIMITS.argon2;
  if (m > L.maxMemoryKiB) throw outOfBounds(f, `m=${m} KiB is above ${L.maxMemoryKiB}`);
  if (m * t > L.maxWorkKiB) throw outOfBounds(f, `m * t = ${m * t} is above ${L.maxWorkKiB}`);
  if (p > L.maxParallelism) throw outOfBounds(f, `p=${p} is above ${L.maxParallelism}`);
  const salt = base64(f, 'salt', saltText, false);
  checkLength(f, 'salt', salt, FOREIGN_HASH_LIMITS.saltBytes);
  const digest = base64(f, 'hash', hashText, false);
  checkLength(f, 'hash', digest, FOREIGN_HASH_LIMITS.hashBytes);
  return {
    info: { format: f, version, memoryKiB: m, timeCost: t, parallelism: p, saltBytes: salt.length, hashBytes: digest.length },
  };
}

function parseScrypt(stored: string): Parsed {
  const f = 'scrypt';
  const parts = stored.split('$');
  if (parts.length !== 5) throw malformed(f, 'expected $scrypt$ln=..,r=..,p=..$salt$hash');
  const [, , params = '', saltText = '', hashText = ''] = parts;
  const [logN = 0, r = 0, p = 0] = phcParams(f, params, ['ln', 'r', 'p']);
  if (logN < 1 || logN > 63) throw malformed(f, 'ln must be 1 to 63');
  if (r < 1 || p < 1) throw malformed(f, 'r and p must be at least 1');
  const L = FOREIGN_HASH_LIMITS.scrypt;
  const N = 2 ** logN;
  if (128 * N * r > L.maxMemoryBytes) throw outOfBounds(f, `128 * N * r = ${128 * N * r} bytes is above ${L.maxMemoryBytes}`);
  if (N * r * p > L.maxWork) throw outOfBounds(f, `N * r * p = ${N * r * p} is above ${L.maxWork}`);
  const salt = base64(f, 'salt', saltText, false);
  checkLength(f, 'salt', salt, FOREIGN_HASH_LIMITS.saltBytes);
  const digest = base64(f, 'hash', hashText, false);
  checkLength(f, 'hash', digest, FOREIGN_HASH_LIMITS.hashBytes);
  return { info: { format: f, logN, r, p, saltBytes: salt.length, hashBytes: digest.length }, salt, digest };
}

function parsePbkdf2(stored: string, f: 'pbkdf2_sha256' | 'pbkdf2_sha1'): Parsed {
  const parts = stored.split('$');
  if (parts.length !== 4) throw malformed(f, `expected ${f}$<iterations>$<salt>$<base64 hash>`);
  const [, iterationsText = '', saltText = '', hashText = ''] = parts;
  const iterations = decimal(f, 'iterations', iterationsText);
  if (iterations < 1) throw malformed(f, 'iterations must be at least 1');
  if (iterations > FOREIGN_HASH_LIMITS.pbkdf2.maxIterations) {
    throw outOfBounds(f, `${iterations} iterations is above ${FOREIGN_HASH_LIMITS.pbkdf2.maxIterations}`);
  }
  if (!/^[\x21-\x7e]{1,256}$/.test(saltText)) throw malformed(f, 'salt must be 1 to 256 printable ASCII characters');
  const digest = base64(f, 'hash', hashText, true);
  const size = f === 'pbkdf2_sha256' ? 32 : 20;
  if (digest.length !== size) throw malformed(f, `hash must be ${size} bytes, not ${digest.length}`);
  return {
    info: { format: f, iterations, saltLength: saltText.length, hashBytes: digest.length },
    salt: Buffer.from(saltText, 'utf8'),
    digest,
  };
}

function parse(stored: unknown): Parsed {
  if (typeof stored !== 'string') throw new HashFormatError('malformed', 'a stored password hash must be a string');
  if (stored.length === 0) throw new HashFormatError('unknown_format', 'the stored password hash is empty');
  if (stored.length > FOREIGN_HASH_LIMITS.maxLength) {
    throw new HashFormatError('malformed', `a stored password hash is at most ${FOREIGN_HASH_LIMITS.maxLength} characters`);
  }
  const format = claimedFormat(stored);
  switch (format) {
    case 'bcrypt':
      return parseBcrypt(stored);
    case 'argon2id':
    case 'argon2i':
      return parseArgon2(stored, format);
    case 'scrypt':
      return parseScrypt(stored);
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha1':
      return parsePbkdf2(stored, format);
    case undefined: {
      const hint = UNSUPPORTED.find(([prefix]) => stored.startsWith(prefix));
      throw new HashFormatError(
        'unknown_format',
        hint ? hint[1] : 'unknown password hash format (accepted: bcrypt, argon2id, argon2i, scrypt PHC, Django pbkdf2_sha256/pbkdf2_sha1)',
      );
    }
  }
}

/**
 * Recognises and validates a stored hash (roster's own argon2id included), or throws
 * HashFormatError with the reason. Cheap: no hashing. Meant for import time.
 */
export function parseForeignHash(stored: string): ParsedHash {
  return parse(stored).info;
}

// ---------------------------------------------------------------------------------------------
// Verifying

function scryptKey(password: string, salt: Buffer, keylen: number, logN: number, r: number, p: number): Buffer {
  const N = 2 ** logN;
  // OpenSSL's own accounting: the table (128 * r * (N + 2)) plus the p blocks (128 * r * p).
  const maxmem = 128 * r * (N + 2 + p) + 1024;
  return scryptSync(password, salt, keylen, { N, r, p, maxmem });
}

const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/**
 * True when `password` matches the stored hash (any accepted format, roster's argon2id included),
 * false when it does not (or is not a string). Throws only HashFormatError, when the stored hash
 * does not parse (see parseForeignHash) or, which parsing is meant to rule out, the hashing
 * library refuses it. Synchronous and CPU-bound: call it from a password worker thread
 * (passwords.ts verifyPassword), never on the event loop.
 */
export function verifyPasswordSync(stored: string, password: string): boolean {
  const { info, salt, digest } = parse(stored);
  if (typeof password !== 'string') return false;
  try {
    switch (info.format) {
      case 'argon2id':
      case 'argon2i':
        return argon2Verify(stored, password);
      case 'bcrypt': {
        // Hash with the stored salt and cost, then compare the whole 60 characters ourselves.
        // @node-rs/bcrypt 1.10 (2.0.0's platform binaries are not all published, which breaks npm ci):
        // the library re-hashes with the stored salt and compares in constant time.
        return bcryptVerify(password, stored);
      }
      case 'scrypt': {
        if (!salt || !digest) throw new Error('scrypt parse lost its salt');
        const key = scryptKey(password, salt, digest.length, info.logN, info.r, info.p);
        return sameBytes(key, digest);
      }
      case 'pbkdf2_sha256':
      case 'pbkdf2_sha1': {
        if (!salt || !digest) throw new Error('pbkdf2 parse lost its salt');
        const key = pbkdf2Sync(password, salt, info.iterations, digest.length, info.format === 'pbkdf2_sha256' ? 'sha256' : 'sha1');
        return sameBytes(key, digest);
      }
    }
  } catch (cause) {
    throw new HashFormatError('malformed', `the ${info.format} verifier refused the stored hash`, info.format, { cause });
  }
}

/**
 * True for anything that is not roster's own argon2id at ROSTER_ARGON2 (v=19, m, t, p, a
 * 32-byte hash, a salt of 16+ bytes), malformed hashes included: re-hash after the next
 * successful login. Never throws.
 */
export function needsRehash(stored: string): boolean {
  let info: ParsedHash;
  try {
    info = parse(stored).info;
  } catch {
    return true;
  }
  return !(
    info.format === 'argon2id' &&
    info.version === 19 &&
    info.memoryKiB === ROSTER_ARGON2.memoryCost &&
    info.timeCost === ROSTER_ARGON2.timeCost &&
    info.parallelism === ROSTER_ARGON2.parallelism &&
    info.hashBytes === ROSTER_ARGON2.outputLen &&
    info.saltBytes >= 16
  );
}
