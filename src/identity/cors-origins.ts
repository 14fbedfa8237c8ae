/**
 * Browser callers of the widget API: each company lists the web origins whose pages may call it
 * with the company's credentials. A preflight is answered for an origin some company allows; an
 * actual request is then held to its credential's company.
 */
import type { Db } from '../store/db.js';
import * as store from '../store/cors-origins.js';
import { nowIso } from '../infra/clock.js';
import { TtlCache } from '../infra/ttl-cache.js';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { recordCompanyEvent, type Company, type CompanyService } from './companies.js';
import type { Acting } from '../events/types.js';
import { inTransaction } from '../store/transaction.js';
import { invalid } from './errors.js';

/**
 * An origin as browsers send it (`https://shop.example.com`, `http://localhost:8080`): http or https,
 * a host and an optional port, nothing else. Lower-cased, the default port dropped, an IDN in
 * punycode. undefined for anything else (`null`, a path, credentials, another scheme).
 */
export function normalizeOrigin(raw: string): string | undefined {
  const text = raw.trim();
  if (text.length === 0 || text.length > 255) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || url.pathname !== '/') return undefined;
  if (!/^[a-z]+:\/\/[^/?#]+\/?$/i.test(text)) return undefined;
  return url.origin;
}

/** The origins normalized; a typed error naming the first that is not one. */
export function checkOrigins(raw: string[]): string[] {
  return raw.map((o) => {
    const origin = normalizeOrigin(o);
    if (!origin) {
      throw invalid('INVALID_CORS_ORIGIN', `"${o.slice(0, 100)}" is not an origin: write scheme://host[:port], e.g. https://shop.example.com`, [
        { field: 'corsOrigin', message: 'scheme://host[:port]' },
      ]);
    }
    return origin;
  });
}

/**
 * Removes and adds a company's origins (checked: checkOrigins), in the caller's transaction; whether
 * anything changed. With `acting` a change records company.updated, the company with its origins
 * afterwards as data.
 */
export async function writeOriginChange(
  trx: Kysely<Database>,
  company: Company,
  change: { add: string[]; remove: string[] },
  acting: Acting | undefined,
  now: string,
): Promise<boolean> {
  const { add, remove } = change;
  await store.removeCorsOrigins(trx, company.id, remove);
  await store.addCorsOrigins(trx, company.id, add, now);
  const changed = add.length > 0 || remove.length > 0;
  if (acting && changed) await recordCompanyEvent(trx, acting, 'company.updated', company, now, await sortedOrigins(trx, company.id));
  return changed;
}

/** A company's origins, sorted (by code unit, the same on every store). */
export async function sortedOrigins(db: Kysely<Database>, companyId: number): Promise<string[]> {
  return (await store.listCorsOrigins(db, companyId)).map((r) => r.origin).sort();
}

/**
 * Sets a company's origins to `wanted` (checked: checkOrigins) in the caller's transaction: the
 * origins are read there, and what differs is added and removed (writeOriginChange). Whether
 * anything changed.
 */
export async function writeOrigins(trx: Kysely<Database>, company: Company, wanted: string[], acting: Acting | undefined, now: string): Promise<boolean> {
  const before = (await store.listCorsOrigins(trx, company.id)).map((r) => r.origin);
  const add = wanted.filter((o) => !before.includes(o));
  const remove = before.filter((o) => !wanted.includes(o));
  return writeOriginChange(trx, company, { add, remove }, acting, now);
}

/**
 * A company's allowed origins (admin verbs), and which origins may call, answered from a per-node
 * cache (like credentials: a change reaches every node within `ttlMs`).
 */
export class OriginPolicy {
  private readonly cache: TtlCache<boolean>;

  constructor(
    private readonly db: Db,
    private readonly companies: CompanyService,
    ttlMs: number,
  ) {
    this.cache = new TtlCache(ttlMs);
  }

  /**
   * Adds and removes a company's allowed origins; its origins afterwards. With `acting` (the
   * console) a change records company.updated, the company with its origins as data.
   */
  async update(companyCode: string, change: { add?: string[] | undefined; remove?: string[] | undefined }, acting?: Acting): Promise<string[]> {
    const add = checkOrigins(change.add ?? []);
    const remove = checkOrigins(change.remove ?? []);
    const company = await this.companies.get(companyCode);
    const now = nowIso();
    await inTransaction(this.db.kysely, (trx) => writeOriginChange(trx, company, { add, remove }, acting, now));
    return this.of(company.id);
  }

  /** A company's origins, sorted (by code unit, the same on every store). */
  async of(companyId: number): Promise<string[]> {
    return sortedOrigins(this.db.kysely, companyId);
  }

  /** Every company's origins, by company id. */
  async all(): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    for (const r of await store.listCorsOrigins(this.db.kysely)) out.set(r.company_id, [...(out.get(r.company_id) ?? []), r.origin]);
    for (const list of out.values()) list.sort();
    return out;
  }

  /** Whether some company allows `rawOrigin` (a preflight carries no credential). */
  allowedByAny(rawOrigin: string): Promise<boolean> {
    const origin = normalizeOrigin(rawOrigin);
    if (!origin) return Promise.resolve(false);
    return this.cache.get(`any ${origin}`, () => store.originAllowed(this.db.kysely, origin));
  }

  /** Whether the company allows `rawOrigin`. */
  allowedFor(companyId: number, rawOrigin: string): Promise<boolean> {
    const origin = normalizeOrigin(rawOrigin);
    if (!origin) return Promise.resolve(false);
    return this.cache.get(`${companyId} ${origin}`, () => store.originAllowed(this.db.kysely, origin, companyId));
  }
}
