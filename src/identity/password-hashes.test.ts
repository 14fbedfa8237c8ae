import { Algorithm, hash as argon2Hash } from '@node-rs/argon2';
import bcryptjs from 'bcryptjs';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { HashFormatError, ROSTER_ARGON2, hashFormat, needsRehash, parseForeignHash, verifyPasswordSync, type HashFormatReason } from './password-hashes.js';

const PASSWORD = 'correct horse battery stäple 🐴';
const WRONG = 'correct horse battery staple 🐴';
const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Hashes made here with the reference libraries, for PASSWORD. */
const made: Record<string, string> = {};

/** Django's test-suite vectors (tests/auth_tests/test_hashers.py), password "lètmein". */
const DJANGO = {
  sha256: 'pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=',
  sha256b: 'pbkdf2_sha256$390000$seasalt2$geC/uZ92nRXDSjSxeoiBqYyRcrLzMm8xK3ro1QS1uo8=',
  sha1: 'pbkdf2_sha1$390000$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I=',
};
/** argon2-cffi hashes from the same Django suite (Django's `argon2` prefix stripped), password "secret". */
const ARGON2_CFFI = {
  argon2iNoVersion: '$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg',
  argon2i: '$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q',
  argon2id: '$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw',
};
/** passlib's documented scrypt hashes (passlib.hash.scrypt page), password "password". */
const PASSLIB_SCRYPT = [
  '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E',
  '$scrypt$ln=8,r=8,p=1$WKs1xljLudd6z9kbY0wpJQ$yCR4iDZYDKv+iEJj6yHY0lv/epnfB6f/w1EbXrsJOuQ',
];

/** Our encoding of Django's PBKDF2 hasher, made with node:crypto. */
function djangoPbkdf2(password: string, salt: string, iterations: number, digest: 'sha256' | 'sha1'): string {
  const size = digest === 'sha256' ? 32 : 20;
  return `pbkdf2_${digest}$${iterations}$${salt}$${pbkdf2Sync(password, salt, iterations, size, digest).toString('base64')}`;
}

/** passlib's scrypt PHC form, made with node:crypto. */
function passlibScrypt(password: string, ln: number, r: number, p: number, salt = randomBytes(16)): string {
  const N = 2 ** ln;
  const key = scryptSync(password, salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
}

/** A bcryptjs hash with the given variant prefix (bcryptjs itself writes $2b$). */
function bcryptjsHash(password: string, cost: number, variant: '2a' | '2b' | '2y'): string {
  const salt = bcryptjs.genSaltSync(cost).replace(/^\$2b\$/, `$${variant}$`);
  return bcryptjs.hashSync(password, salt);
}

function parseError(stored: unknown): HashFormatError {
  try {
    parseForeignHash(stored as string);
  } catch (e) {
    assert.ok(e instanceof HashFormatError, `expected HashFormatError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected parseForeignHash to throw');
}

before(async () => {
  made.bcrypt2a11 = bcryptjsHash(PASSWORD, 11, '2a'); // Devise's default cost
  made.bcrypt2y10 = bcryptjsHash(PASSWORD, 10, '2y'); // Laravel/PHP
  made.bcrypt2b04 = bcryptjsHash(PASSWORD, 4, '2b');
  made.roster = await argon2Hash(PASSWORD, ROSTER_ARGON2);
  made.argon2idDefault = await argon2Hash(PASSWORD); // @node-rs/argon2's own defaults
  made.argon2i = await argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2i, memoryCost: 65536, timeCost: 4, parallelism: 1 });
  made.argon2idP4 = await argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: 65536, timeCost: 3, parallelism: 4 });
  made.scrypt = passlibScrypt(PASSWORD, 16, 8, 1);
  made.pbkdf2sha256 = djangoPbkdf2(PASSWORD, 'Q0jf2HGdtOObyRKkoDnyGt', 1_000_000, 'sha256'); // Django 5.2
  made.pbkdf2sha1 = djangoPbkdf2(PASSWORD, 'Q0jf2HGdtOObyRKkoDnyGt', 390_000, 'sha1');
});

describe('reference encodings against published vectors', () => {
  it("node:crypto's PBKDF2 in Django's encoding reproduces Django's own test vectors", () => {
    assert.equal(djangoPbkdf2('lètmein', 'seasalt', 390000, 'sha256'), DJANGO.sha256);
    assert.equal(djangoPbkdf2('lètmein', 'seasalt2', 390000, 'sha256'), DJANGO.sha256b);
    assert.equal(djangoPbkdf2('lètmein', 'seasalt2', 390000, 'sha1'), DJANGO.sha1);
  });

  it("node:crypto's scrypt in passlib's encoding reproduces passlib's documented hashes", () => {
    for (const vector of PASSLIB_SCRYPT) {
      const [, , params, salt] = vector.split('$') as [string, string, string, string, string];
      const ln = Number(/ln=(\d+)/.exec(params)?.[1]);
      assert.equal(passlibScrypt('password', ln, 8, 1, Buffer.from(salt, 'base64')), vector);
    }
  });
});

describe('verifyPasswordSync', () => {
  const cases: Array<[string, () => string, string, string]> = [
    ['bcrypt $2a$11$ (Devise)', () => made.bcrypt2a11!, PASSWORD, WRONG],
    ['bcrypt $2y$10$ (Laravel)', () => made.bcrypt2y10!, PASSWORD, WRONG],
    ['bcrypt $2b$04$', () => made.bcrypt2b04!, PASSWORD, WRONG],
    ["argon2id at roster's parameters", () => made.roster!, PASSWORD, WRONG],
    ['argon2i (m=65536, t=4)', () => made.argon2i!, PASSWORD, WRONG],
    ['argon2id (p=4)', () => made.argon2idP4!, PASSWORD, WRONG],
    ['argon2i without a version (argon2-cffi)', () => ARGON2_CFFI.argon2iNoVersion, 'secret', 'wrong'],
    ['argon2i v=19, 8-byte salt, 16-byte hash (argon2-cffi)', () => ARGON2_CFFI.argon2i, 'secret', 'wrong'],
    ['argon2id m=102400, p=8 (argon2-cffi, Django defaults)', () => ARGON2_CFFI.argon2id, 'secret', 'wrong'],
    ['scrypt made here (ln=16, r=8, p=1)', () => made.scrypt!, PASSWORD, WRONG],
    ['scrypt, passlib ln=16', () => PASSLIB_SCRYPT[0]!, 'password', 'Password'],
    ['scrypt, passlib ln=8', () => PASSLIB_SCRYPT[1]!, 'password', 'password '],
    ['pbkdf2_sha256 made here (1,000,000 iterations)', () => made.pbkdf2sha256!, PASSWORD, WRONG],
    ['pbkdf2_sha256, Django vector', () => DJANGO.sha256, 'lètmein', 'lètmeinz'],
    ['pbkdf2_sha1 made here', () => made.pbkdf2sha1!, PASSWORD, WRONG],
    ['pbkdf2_sha1, Django vector', () => DJANGO.sha1, 'lètmein', 'letmein'],
  ];
  for (const [name, stored, right, wrong] of cases) {
    it(`${name}: true for the password, false for another`, async () => {
      assert.equal(verifyPasswordSync(stored(), right), true);
      assert.equal(verifyPasswordSync(stored(), wrong), false);
      assert.equal(verifyPasswordSync(stored(), ''), false);
    });
  }

  it('bcrypt keeps its 72-byte limit, as the system that wrote the hash did', async () => {
    const long = 'x'.repeat(72);
    const stored = bcryptjsHash(long, 4, '2a');
    assert.equal(verifyPasswordSync(stored, long + 'anything'), true);
    assert.equal(verifyPasswordSync(stored, long.slice(1)), false);
  });

  it('is false for a password that is not a string', async () => {
    assert.equal(verifyPasswordSync(made.bcrypt2b04!, undefined as unknown as string), false);
    assert.equal(verifyPasswordSync(made.roster!, 42 as unknown as string), false);
  });

  it('throws HashFormatError before hashing anything, for unknown, malformed and out-of-bounds hashes', async () => {
    // Just past each limit, so that a regression costs seconds here, not days.
    const refused = [
      '$2b$16$' + 'a'.repeat(21) + 'e' + 'a'.repeat(31),
      '$argon2id$v=19$m=524288,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q',
      '$scrypt$ln=20,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E',
      'pbkdf2_sha256$10000001$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=',
      'plaintext',
      '$argon2id$v=19$m=19456,t=2,p=1$short$hash',
    ];
    for (const stored of refused) {
      // Refused by the parser, which hashes nothing: the same error parseForeignHash gives.
      assert.throws(() => parseForeignHash(stored), HashFormatError, stored);
      assert.throws(() => verifyPasswordSync(stored, PASSWORD), HashFormatError, stored);
    }
  });
});

describe('parseForeignHash', () => {
  it('reads the format and parameters of each accepted form', () => {
    assert.deepEqual(parseForeignHash(made.bcrypt2a11!), { format: 'bcrypt', variant: '2a', cost: 11 });
    assert.deepEqual(parseForeignHash(made.bcrypt2y10!), { format: 'bcrypt', variant: '2y', cost: 10 });
    assert.deepEqual(parseForeignHash(made.roster!), {
      format: 'argon2id',
      version: 19,
      memoryKiB: 12288,
      timeCost: 3,
      parallelism: 1,
      saltBytes: 16,
      hashBytes: 32,
    });
    assert.deepEqual(parseForeignHash(ARGON2_CFFI.argon2iNoVersion), {
      format: 'argon2i',
      version: 16,
      memoryKiB: 8,
      timeCost: 1,
      parallelism: 1,
      saltBytes: 8,
      hashBytes: 64,
    });
    assert.deepEqual(parseForeignHash(PASSLIB_SCRYPT[0]!), { format: 'scrypt', logN: 16, r: 8, p: 1, saltBytes: 16, hashBytes: 32 });
    assert.deepEqual(parseForeignHash(DJANGO.sha256), { format: 'pbkdf2_sha256', iterations: 390000, saltLength: 7, hashBytes: 32 });
    assert.deepEqual(parseForeignHash(DJANGO.sha1), { format: 'pbkdf2_sha1', iterations: 390000, saltLength: 8, hashBytes: 20 });
  });

  it('accepts the parameters at the limits', () => {
    const salt = b64(Buffer.alloc(16, 1));
    const hash = b64(Buffer.alloc(32, 2));
    assert.equal(parseForeignHash('$2b$15$' + 'a'.repeat(21) + 'e' + 'a'.repeat(31)).format, 'bcrypt');
    assert.equal(parseForeignHash(`$argon2id$v=19$m=262144,t=16,p=16$${salt}$${hash}`).format, 'argon2id');
    assert.equal(parseForeignHash(`$scrypt$ln=18,r=8,p=2$${salt}$${hash}`).format, 'scrypt');
    assert.equal(parseForeignHash(`pbkdf2_sha256$10000000$salt$${Buffer.alloc(32).toString('base64')}`).format, 'pbkdf2_sha256');
  });

  const bad: Array<[string, unknown, HashFormatReason, RegExp]> = [
    ['empty', '', 'unknown_format', /empty/],
    ['plain text', 'hunter2', 'unknown_format', /unknown password hash format/],
    ['not a string', 42, 'malformed', /must be a string/],
    ['too long', '$2a$10$' + 'a'.repeat(2000), 'malformed', /at most 1024/],
    ['bcrypt $2x$', '$2x$10$' + 'a'.repeat(53), 'unknown_format', /\$2x\$/],
    ['sha512-crypt', '$6$rounds=5000$salt$hash', 'unknown_format', /SHA-512-crypt/],
    ['Django argon2 wrapper', 'argon2' + ARGON2_CFFI.argon2i, 'unknown_format', /strip the leading 'argon2'/],
    ['Werkzeug scrypt', 'scrypt:32768:8:1$salt$00ff', 'unknown_format', /Werkzeug/],
    ['argon2d', '$argon2d$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'unknown_format', /argon2d/],
    ['scrypt $7$', '$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D', 'unknown_format', /\$7\$/],
    // bcrypt
    ['bcrypt one char short', '$2a$11$' + 'a'.repeat(21) + 'e' + 'a'.repeat(30), 'malformed', /53 characters/],
    ['bcrypt one char long', '$2a$11$' + 'a'.repeat(21) + 'e' + 'a'.repeat(32), 'malformed', /53 characters/],
    ['bcrypt cost 03', '$2a$03$' + 'a'.repeat(21) + 'e' + 'a'.repeat(31), 'malformed', /cost must be 04 to 31/],
    ['bcrypt cost 32', '$2a$32$' + 'a'.repeat(21) + 'e' + 'a'.repeat(31), 'malformed', /cost must be 04 to 31/],
    ['bcrypt cost 1a', '$2a$1a$' + 'a'.repeat(21) + 'e' + 'a'.repeat(31), 'malformed', /two-digit cost/],
    ['bcrypt cost 16', '$2b$16$' + 'a'.repeat(21) + 'e' + 'a'.repeat(31), 'out_of_bounds', /cost 16 is above 15/],
    ['bcrypt cost 31', '$2y$31$' + 'a'.repeat(21) + 'e' + 'a'.repeat(31), 'out_of_bounds', /cost 31/],
    ['bcrypt non-canonical salt', '$2a$10$' + 'a'.repeat(21) + 'f' + 'a'.repeat(31), 'malformed', /salt is not canonical/],
    ['bcrypt non-canonical hash', '$2a$10$' + 'a'.repeat(21) + 'e' + 'a'.repeat(30) + 'b', 'malformed', /hash is not canonical/],
    ['bcrypt with a non-alphabet char', '$2a$10$' + 'a'.repeat(21) + '+' + 'a'.repeat(31), 'malformed', /bcrypt base64/],
    // argon2
    ['argon2 v=20', '$argon2id$v=20$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'malformed', /version/],
    ['argon2 missing hash', '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ', 'malformed', /expected/],
    ['argon2 params out of order', '$argon2id$v=19$t=1,m=8,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'malformed', /m=..,t=..,p=../],
    ['argon2 keyid', '$argon2id$v=19$m=8,t=1,p=1,keyid=abc$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'malformed', /parameters/],
    ['argon2 leading zero', '$argon2id$v=19$m=08,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'malformed', /decimal/],
    ['argon2 negative', '$argon2id$v=19$m=8,t=-1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'malformed', /decimal/],
    ['argon2 t=0', '$argon2id$v=19$m=8,t=0,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'malformed', /t must be/],
    ['argon2 p=0', '$argon2id$v=19$m=8,t=1,p=0$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'malformed', /p must be/],
    ['argon2 m < 8p', '$argon2id$v=19$m=8,t=1,p=2$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'malformed', /at least 8 \* p/],
    ['argon2 512 MiB', '$argon2id$v=19$m=524288,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'out_of_bounds', /m=524288/],
    ['argon2 too many passes', '$argon2id$v=19$m=262144,t=17,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'out_of_bounds', /m \* t/],
    ['argon2 a billion passes', '$argon2i$v=19$m=8,t=999999999,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'out_of_bounds', /m \* t/],
    ['argon2 p=17', '$argon2id$v=19$m=1024,t=1,p=17$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'out_of_bounds', /p=17/],
    ['argon2 padded base64', '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ=$YC9+jJCrQhs5R6db7LlN8Q', 'malformed', /unpadded/],
    ['argon2 url-safe base64', '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9-jJCrQhs5R6db7LlN8Q', 'malformed', /base64/],
    ['argon2 non-canonical base64', '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHR$YC9+jJCrQhs5R6db7LlN8Q', 'malformed', /canonical/],
    ['argon2 4-byte salt', '$argon2id$v=19$m=8,t=1,p=1$c2FsdA$YC9+jJCrQhs5R6db7LlN8Q', 'malformed', /salt must be 8 to 64 bytes/],
    ['argon2 8-byte hash', '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs', 'malformed', /hash must be 16 to 64 bytes/],
    // scrypt
    ['scrypt 1 GiB', '$scrypt$ln=20,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E', 'out_of_bounds', /128 \* N \* r/],
    ['scrypt too much work', '$scrypt$ln=17,r=8,p=8$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E', 'out_of_bounds', /N \* r \* p/],
    ['scrypt huge r', '$scrypt$ln=1,r=9999999999,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E', 'out_of_bounds', /128 \* N \* r/],
    ['scrypt ln=0', '$scrypt$ln=0,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E', 'malformed', /ln must be/],
    ['scrypt ln=64', '$scrypt$ln=64,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E', 'malformed', /ln must be/],
    ['scrypt no p', '$scrypt$ln=16,r=8$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E', 'malformed', /ln=..,r=..,p=../],
    ['scrypt with a version', '$scrypt$v=1$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E', 'malformed', /expected/],
    ['scrypt short hash', '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDl', 'malformed', /hash must be 16 to 64 bytes/],
    // pbkdf2
    ['pbkdf2 too many iterations', 'pbkdf2_sha256$10000001$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=', 'out_of_bounds', /10000001 iterations/],
    ['pbkdf2 0 iterations', 'pbkdf2_sha256$0$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=', 'malformed', /at least 1/],
    ['pbkdf2 leading zero', 'pbkdf2_sha256$0390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=', 'malformed', /decimal/],
    ['pbkdf2 11-digit iterations', 'pbkdf2_sha256$99999999999$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=', 'malformed', /decimal/],
    ['pbkdf2 unpadded hash', 'pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c', 'malformed', /canonical/],
    ['pbkdf2 sha1 with a sha256 digest', 'pbkdf2_sha1$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=', 'malformed', /20 bytes/],
    ['pbkdf2 empty salt', 'pbkdf2_sha256$390000$$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=', 'malformed', /salt/],
    ['pbkdf2 salt with a space', 'pbkdf2_sha256$390000$sea salt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=', 'malformed', /salt/],
    ['pbkdf2 extra field', 'pbkdf2_sha256$390000$sea$salt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=', 'malformed', /expected/],
  ];
  for (const [name, stored, reason, message] of bad) {
    it(`${name}: ${reason}`, () => {
      const e = parseError(stored);
      assert.equal(e.reason, reason);
      assert.match(e.message, message);
      assert.equal(e.name, 'HashFormatError');
    });
  }

  it('never repeats the stored hash (or its digest) in the message', () => {
    const digest = 'gwQOXSNhxiOxPOA0';
    for (const stored of [`$argon2i$v=19$m=524288,t=1,p=1$c29tZXNhbHQ$${digest}AAAAAAAAAAAAAAAAAAAAAA`, `sha1$salt$${digest}`, `${digest}`]) {
      assert.doesNotMatch(parseError(stored).message, new RegExp(digest));
    }
  });

  it('names the format it recognised', () => {
    assert.equal(parseError('$2b$16$' + 'a'.repeat(21) + 'e' + 'a'.repeat(31)).format, 'bcrypt');
    assert.equal(parseError('pbkdf2_sha1$1$s$x').format, 'pbkdf2_sha1');
    assert.equal(parseError('nope').format, undefined);
  });
});

describe('hashFormat', () => {
  it('names each format by its prefix, and anything else unknown', () => {
    assert.equal(hashFormat(made.bcrypt2a11!), 'bcrypt');
    assert.equal(hashFormat(made.bcrypt2y10!), 'bcrypt');
    assert.equal(hashFormat(made.roster!), 'argon2id');
    assert.equal(hashFormat(made.argon2i!), 'argon2i');
    assert.equal(hashFormat(made.scrypt!), 'scrypt');
    assert.equal(hashFormat(DJANGO.sha256), 'pbkdf2_sha256');
    assert.equal(hashFormat(DJANGO.sha1), 'pbkdf2_sha1');
    assert.equal(hashFormat('$argon2d$v=19$m=8,t=1,p=1$x$y'), 'unknown');
    assert.equal(hashFormat(''), 'unknown');
    assert.equal(hashFormat(null as unknown as string), 'unknown');
  });
});

describe('needsRehash', () => {
  it("is false only for roster's argon2id at the current parameters", () => {
    assert.equal(needsRehash(made.roster!), false);
  });

  it('is true for every foreign format, other argon2 parameters, and garbage', async () => {
    const shortOutput = await argon2Hash(PASSWORD, { ...ROSTER_ARGON2, outputLen: 16 });
    const moreTime = await argon2Hash(PASSWORD, { ...ROSTER_ARGON2, timeCost: ROSTER_ARGON2.timeCost + 1 });
    const argon2iSame = await argon2Hash(PASSWORD, { ...ROSTER_ARGON2, algorithm: Algorithm.Argon2i });
    const v16 = await argon2Hash(PASSWORD, { ...ROSTER_ARGON2, version: 0 });
    for (const stored of [
      made.bcrypt2a11!,
      made.bcrypt2y10!,
      made.argon2i!,
      made.argon2idP4!,
      // @node-rs/argon2's defaults: OWASP's minimum (m=19 MiB, t=2), roster's own before round five.
      made.argon2idDefault!,
      made.scrypt!,
      made.pbkdf2sha256!,
      made.pbkdf2sha1!,
      ARGON2_CFFI.argon2id,
      shortOutput,
      moreTime,
      argon2iSame,
      v16,
      '',
      'garbage',
      made.roster! + 'x',
    ]) {
      assert.equal(needsRehash(stored), true, stored);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const digits = fc.string({ unit: fc.constantFrom(...'0123456789-+ '), maxLength: 12 });
const number = fc.oneof(fc.nat().map(String), fc.constantFrom('0', '1', '8', '16', '19456', '262144', '4294967296', '08', '-1', '1e3', ''), digits);
const b64text = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 80 }).map((b) => b64(Buffer.from(b))),
  fc.string({ unit: fc.constantFrom(...'ABCabc019+/=-_.$'), maxLength: 90 }),
);
const bcryptLike = fc
  .tuple(
    fc.constantFrom('$2a$', '$2b$', '$2y$', '$2x$', '$2$'),
    fc.oneof(
      fc.integer({ min: 0, max: 40 }).map((n) => String(n).padStart(2, '0')),
      digits,
    ),
    fc.string({ unit: fc.oneof({ arbitrary: fc.constantFrom(...BCRYPT_ALPHABET), weight: 50 }, fc.constantFrom('$', '=')), minLength: 52, maxLength: 54 }),
  )
  .map(([prefix, cost, rest]) => `${prefix}${cost}$${rest}`);
const argon2Like = fc
  .tuple(
    fc.constantFrom('argon2id', 'argon2i', 'argon2d', 'argon2'),
    fc.constantFrom('v=19$', 'v=16$', '', 'v=x$', 'v=19,'),
    number,
    number,
    number,
    fc.constantFrom('', ',keyid=a', ',data=AAAA'),
    b64text,
    b64text,
  )
  .map(([id, v, m, t, p, extra, salt, hash]) => `$${id}$${v}m=${m},t=${t},p=${p}${extra}$${salt}$${hash}`);
const scryptLike = fc.tuple(number, number, number, b64text, b64text).map(([ln, r, p, salt, hash]) => `$scrypt$ln=${ln},r=${r},p=${p}$${salt}$${hash}`);
const pbkdf2Like = fc
  .tuple(fc.constantFrom('pbkdf2_sha256', 'pbkdf2_sha1', 'pbkdf2_md5'), number, fc.string({ maxLength: 30 }), b64text)
  .map(([id, it, salt, hash]) => `${id}$${it}$${salt}$${hash}`);
/** A valid hash with one character replaced, inserted or deleted. */
const mutated = fc
  .tuple(
    fc.constantFrom(DJANGO.sha256, DJANGO.sha1, ...Object.values(ARGON2_CFFI), ...PASSLIB_SCRYPT, '$2a$04$' + 'a'.repeat(21) + 'e' + 'a'.repeat(31)),
    fc.nat(),
    fc.string({ unit: 'binary', minLength: 0, maxLength: 2 }),
    fc.nat({ max: 2 }),
  )
  .map(([s, at, c, drop]) => s.slice(0, at % s.length) + c + s.slice((at % s.length) + drop));
const anyStored = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), bcryptLike, argon2Like, scryptLike, pbkdf2Like, mutated);

const REASONS = new Set(['unknown_format', 'malformed', 'out_of_bounds']);
/** Parses, or throws a HashFormatError with a known reason; anything else fails the property. */
function parsesOrHashFormatError(stored: string): boolean {
  try {
    parseForeignHash(stored);
  } catch (e) {
    return e instanceof HashFormatError && REASONS.has(e.reason) && e.message.length > 0;
  }
  return true;
}

describe('properties', () => {
  it('parseForeignHash on any string parses or throws HashFormatError, nothing else', () => {
    fc.assert(fc.property(anyStored, parsesOrHashFormatError), { numRuns: 20_000 });
  });

  it('the structured generators reach every outcome (so the property above tests the parsers, not the prefix check)', () => {
    const seen = new Set<string>();
    for (const stored of fc.sample(fc.oneof(bcryptLike, argon2Like, scryptLike, pbkdf2Like, mutated), { numRuns: 5000, seed: 1 })) {
      try {
        seen.add(`${parseForeignHash(stored).format}:ok`);
      } catch (e) {
        if (e instanceof HashFormatError) seen.add(`${e.format ?? 'none'}:${e.reason}`);
      }
    }
    for (const f of ['bcrypt', 'argon2i', 'argon2id', 'scrypt', 'pbkdf2_sha256', 'pbkdf2_sha1']) {
      assert.ok(seen.has(`${f}:ok`), `no valid ${f} generated: ${[...seen].join(' ')}`);
      assert.ok(seen.has(`${f}:malformed`), `no malformed ${f} generated`);
    }
    for (const f of ['bcrypt', 'argon2id', 'scrypt', 'pbkdf2_sha256']) assert.ok(seen.has(`${f}:out_of_bounds`), `no out-of-bounds ${f} generated`);
  });

  it('hashFormat and needsRehash never throw', () => {
    fc.assert(
      fc.property(anyStored, (stored) => {
        const f = hashFormat(stored);
        return typeof f === 'string' && typeof needsRehash(stored) === 'boolean';
      }),
      { numRuns: 5000 },
    );
  });

  it('verifyPasswordSync on any stored string answers a boolean or throws HashFormatError (cheap parameters only)', async () => {
    // Bound the work: keep the stored hashes the generators make cheap enough to verify.
    const cheap = anyStored.filter((s) => {
      try {
        const h = parseForeignHash(s);
        switch (h.format) {
          case 'bcrypt':
            return h.cost <= 5;
          case 'argon2i':
          case 'argon2id':
            return h.memoryKiB * h.timeCost <= 65536;
          case 'scrypt':
            return h.logN + Math.log2(h.r * h.p) <= 14;
          case 'pbkdf2_sha256':
          case 'pbkdf2_sha1':
            return h.iterations <= 10_000;
        }
      } catch {
        return true;
      }
    });
    await fc.assert(
      fc.asyncProperty(cheap, fc.string({ unit: 'binary', maxLength: 80 }), async (stored, password) => {
        try {
          return typeof verifyPasswordSync(stored, password) === 'boolean';
        } catch (e) {
          return e instanceof HashFormatError;
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('verifyPasswordSync on well-formed hashes never throws: true for the password, a boolean for any other', async () => {
    const right = 'pässwörd';
    const stored = [
      bcryptjsHash(right, 4, '2a'),
      bcryptjsHash(right, 4, '2y'),
      await argon2Hash(right, { algorithm: Algorithm.Argon2id, memoryCost: 64, timeCost: 1 }),
      await argon2Hash(right, { algorithm: Algorithm.Argon2i, memoryCost: 64, timeCost: 1, version: 0 }),
      passlibScrypt(right, 4, 8, 1),
      djangoPbkdf2(right, 'salt', 10, 'sha256'),
      djangoPbkdf2(right, 'salt', 10, 'sha1'),
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...stored), fc.string({ unit: 'binary', maxLength: 100 }), async (s, password) => {
        const ok = verifyPasswordSync(s, password);
        assert.equal(typeof ok, 'boolean');
        if (password === right) assert.equal(ok, true);
        if (!password.startsWith('pässw')) assert.equal(ok, false);
      }),
      { numRuns: 700, examples: [[stored[0]!, right]] },
    );
  });

  it('verifyPasswordSync on random well-formed hashes (random salts and digests) answers false', async () => {
    const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => b64(Buffer.from(b)));
    const bcryptChars = (n: number, step: number) =>
      fc.array(fc.nat({ max: 63 }), { minLength: n, maxLength: n }).map((xs) => xs.map((x, i) => BCRYPT_ALPHABET[i === n - 1 ? x - (x % step) : x]).join(''));
    const wellFormed = fc.oneof(
      fc.tuple(fc.constantFrom('2a', '2b', '2y'), bcryptChars(22, 16), bcryptChars(31, 4)).map(([v, s, h]) => `$${v}$04$${s}${h}`),
      fc
        .tuple(fc.constantFrom('argon2id', 'argon2i'), fc.constantFrom('v=19$', 'v=16$', ''), fc.integer({ min: 1, max: 4 }), bytes(8, 64), bytes(16, 64))
        .map(([id, v, p, salt, hash]) => `$${id}$${v}m=${8 * p},t=1,p=${p}$${salt}$${hash}`),
      fc
        .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), bytes(8, 64), bytes(16, 64))
        .map(([ln, r, p, salt, hash]) => `$scrypt$ln=${ln},r=${r},p=${p}$${salt}$${hash}`),
      fc
        .tuple(
          fc.constantFrom(['sha256', 32] as const, ['sha1', 20] as const),
          fc.integer({ min: 1, max: 50 }),
          fc.string({ unit: fc.constantFrom(...'abcXYZ019!#%^&*()'), minLength: 1, maxLength: 30 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
        )
        .map(([[d, n], it, salt, h]) => `pbkdf2_${d}$${it}$${salt}$${Buffer.from(h.subarray(0, n)).toString('base64')}`),
    );
    await fc.assert(
      fc.asyncProperty(wellFormed, fc.string({ unit: 'binary', maxLength: 40 }), async (s, password) => {
        assert.doesNotThrow(() => parseForeignHash(s));
        assert.equal(verifyPasswordSync(s, password), false);
      }),
      { numRuns: 600 },
    );
  });
});
