/**
 * Secrets that roster must be able to read back (Chatwoot access tokens it returns again, webhook
 * signing secrets) are stored encrypted with AES-256-GCM under the installation's key, never in
 * clear. Hash-only secrets (API credentials, passwords, sessions) do not come here.
 *
 * Sealed form: `v1.<key id>.<base64url(iv | ciphertext | tag)>`. The key id (the first 8 hex
 * characters of the key's SHA-256) names the key that sealed it, so a rotation can open values of
 * the previous key while it re-seals them with the new one.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { secureRandomBytes } from './random.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

/** A 32-byte key from its text form: 64 hex characters or base64/base64url of 32 bytes. */
export function parseSecretKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, /[-_]/.test(t) ? 'base64url' : 'base64');
  if (key.length !== 32) throw new SecretBoxError('the secret key must be 32 bytes: 64 hex characters, or 32 bytes in base64');
  return key;
}

export const newSecretKeyText = (): string => randomBytes(32).toString('base64');

const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  /** The id of the key new values are sealed with. */
  readonly keyId: string;

  /** `key` seals; `previous` keys only open (during a rotation). */
  constructor(key: Buffer, previous: Buffer[] = []) {
    this.keyId = keyIdOf(key);
    this.keys.set(this.keyId, key);
    for (const k of previous) if (!this.keys.has(keyIdOf(k))) this.keys.set(keyIdOf(k), k);
  }

  seal(plaintext: string): string {
    const key = this.keys.get(this.keyId)!;
    const iv = secureRandomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v1.${this.keyId}.${body.toString('base64url')}`;
  }

  open(sealed: string): string {
    const [version, keyId, data] = sealed.split('.');
    if (version !== 'v1' || keyId === undefined || data === undefined) throw new SecretBoxError('not a sealed value');
    const key = this.keys.get(keyId);
    if (!key) throw new SecretBoxError(`sealed with key ${keyId}, which this installation does not hold (see docs/security.md, key rotation)`);
    const body = Buffer.from(data, 'base64url');
    if (body.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('sealed value is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('sealed value does not authenticate under its key');
    }
  }

  /** True when the value was sealed with an older key and should be re-sealed. */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.keyId;
  }
}
