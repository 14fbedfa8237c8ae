/**
 * Avatars of users and agent bots. `avatar_url` is kept as given (roster fetches no remote image: no
 * outbound request on a client's say-so); an uploaded `avatar` (a multipart file) is checked by its
 * content (PNG, JPEG, GIF or WebP magic bytes, whatever type the client declared) and size
 * (AVATAR_MAX_BYTES), stored in the database so every node serves it, and shown at a stable URL:
 * each upload gets a new random key, so the URL of one image never changes and can be cached.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Db } from '../../store/db.js';
import type { Database } from '../../store/schema.js';
import * as store from '../../store/avatars.js';
import type { AvatarOwner } from '../../store/avatars.js';
import { recordNotFound } from './permissions.js';
import { MESSAGES, type RecordErrors } from './record-errors.js';
import { isUploadedFile } from './rails-params.js';
import { isHttpUrl } from './agent-bots.js';

export type { AvatarOwner };

/** Where avatars are served, under the Chatwoot prefix. */
export const AVATAR_PATH = '/platform/api/v1/avatars';

/** The image type of `data` by its first bytes; undefined when it is none of the four. */
export function sniffImage(data: Buffer): 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | undefined {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.length >= 6 && /^GIF8[79]a$/.test(data.subarray(0, 6).toString('latin1'))) return 'image/gif';
  if (data.length >= 12 && data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return undefined;
}

/** What a body's `avatar` and `avatar_url` ask for, once checked. */
export interface AvatarChange {
  /** A new uploaded image. */
  upload?: { contentType: string; data: Buffer };
  /** A new avatar_url (null clears it). */
  url?: string | null;
}

export class AvatarService {
  constructor(
    private readonly db: Db,
    /** The largest upload (AVATAR_MAX_BYTES). */
    readonly maxBytes: number,
    /** PUBLIC_URL: avatars are shown as absolute URLs, as Chatwoot's are. */
    private readonly publicUrl: string,
  ) {}

  /** Checks `avatar` and `avatar_url` of a body; errors are noted on `errors`. */
  check(params: { avatar?: unknown; avatar_url?: unknown }, errors: RecordErrors): AvatarChange {
    const change: AvatarChange = {};
    if (params.avatar !== undefined && params.avatar !== null && params.avatar !== '') {
      if (!isUploadedFile(params.avatar)) errors.add('avatar', 'must be an uploaded file (multipart/form-data)');
      else if (params.avatar.truncated || params.avatar.data.length > this.maxBytes) errors.add('avatar', `is too big (maximum is ${this.maxBytes} bytes)`);
      else {
        const type = sniffImage(params.avatar.data);
        if (!type) errors.add('avatar', 'must be a PNG, JPEG, GIF or WebP image');
        else change.upload = { contentType: type, data: params.avatar.data };
      }
    }
    if (params.avatar_url !== undefined) {
      const url = errors.text('avatar_url', params.avatar_url as string | null, { max: 2048 });
      if (typeof url === 'string' && url !== '' && !isHttpUrl(url)) errors.add('avatar_url', MESSAGES.invalid);
      change.url = url || null;
    }
    return change;
  }

  /** Stores an upload for `owner`, replacing the one it had (in the caller's transaction). */
  async apply(trx: Kysely<Database>, owner: AvatarOwner, change: AvatarChange, now: string): Promise<void> {
    if (!change.upload) return;
    await store.deleteAvatar(trx, owner);
    await store.insertAvatar(trx, owner, { key: randomBytes(16).toString('hex'), contentType: change.upload.contentType, data: change.upload.data, now });
  }

  /** Removes the owner's uploaded avatar (in the caller's transaction); true when there was one. */
  remove(trx: Kysely<Database>, owner: AvatarOwner): Promise<boolean> {
    return store.deleteAvatar(trx, owner);
  }

  /** The avatar_url a body shows: the uploaded image's, else the URL given, else "" (as Chatwoot). */
  async urlOf(db: Kysely<Database>, owner: AvatarOwner, given: string | null): Promise<string> {
    const key = await store.findAvatarKey(db, owner);
    if (key) return `${this.publicUrl.replace(/\/+$/, '')}${AVATAR_PATH}/${key}`;
    return given ?? '';
  }

  /** GET /avatars/:key: the image, or 404. */
  async image(key: string): Promise<{ contentType: string; data: Buffer; createdAt: string }> {
    if (!/^[0-9a-f]{32}$/.test(key)) throw recordNotFound();
    const row = await store.findAvatarByKey(this.db.kysely, key);
    if (!row) throw recordNotFound();
    return { contentType: row.content_type, data: Buffer.from(row.data), createdAt: row.created_at };
  }
}
