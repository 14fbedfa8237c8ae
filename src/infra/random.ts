/**
 * Cryptographically secure random bytes, drawn from a pool: one `randomFillSync` call fills 4 KiB,
 * and each caller takes the next bytes. The same CSPRNG output as `randomBytes(n)`, at a fraction
 * of its cost for small sizes (about 7 µs a call against 0.4 on the development machine: the
 * call's fixed cost, not the bytes). Node's own `randomUUID` pools its entropy the same way.
 *
 * No byte is handed out twice: the offset only moves forward, a pool is never refilled in place
 * (a new one replaces it), and no view of a pool leaves this module: callers get a string or a
 * copy. Large requests bypass the pool.
 */
import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
/** Above this, straight from the CSPRNG: the pool is for the many small ids and secrets. */
const MAX_POOLED = POOL_BYTES / 8;
let pool: Buffer = Buffer.alloc(0);
let offset = 0;

/** Where the next `n` bytes sit in the pool (refilled first if they do not fit). */
function take(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`a byte count must be a non-negative integer, not ${n}`);
  if (offset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    offset = 0;
  }
  const start = offset;
  offset += n;
  return start;
}

/** `n` random bytes as a string: lowercase hex (2n characters) or base64url. */
export function secureRandomString(n: number, encoding: 'hex' | 'base64url'): string {
  if (n > MAX_POOLED) return randomBytes(n).toString(encoding);
  const start = take(n);
  return pool.toString(encoding, start, start + n);
}

/** `n` random bytes in a Buffer of their own. */
export function secureRandomBytes(n: number): Buffer {
  if (n > MAX_POOLED) return randomBytes(n);
  const start = take(n);
  const out = Buffer.alloc(n);
  pool.copy(out, 0, start, start + n);
  return out;
}
