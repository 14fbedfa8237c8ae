/**
 * Cryptographically secure random bytes, drawn from a pool: one `randomFillSync` call fills 4 KiB,
 * and each caller takes the next bytes. The same CSPRNG output as `randomBytes(n)`, at a fraction
 * of its cost for small sizes (about 7 µs a call against 0.4 on the development machine: the
 * call's fixed cost, not the bytes). Node's own `randomUUID` pools its entropy the same way.
 *
 * No byte is handed out twice: a pool is never refilled in place; a new one replaces it, and the
 * views already handed out keep theirs. Large requests bypass the pool.
 */
import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
let pool: Buffer = Buffer.alloc(0);
let offset = 0;

/** `n` random bytes (a view into the pool; copy it if it must outlive other use of the buffer). */
export function secureRandomBytes(n: number): Buffer {
  if (n > POOL_BYTES / 8) return randomBytes(n);
  if (offset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + n);
  offset += n;
  return bytes;
}
