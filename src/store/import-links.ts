/** What `roster import` brought in from where (table import_links, migration 010_import). */
import type { Kysely } from 'kysely';
import { chunks } from './import-batches.js';
import type { Database, ImportLinkKind, ImportSource } from './schema.js';

export interface LinkKey {
  companyId: number;
  source: ImportSource;
  kind: ImportLinkKind;
}

/** The roster ids these source ids became, by source id. */
export async function findLinks(db: Kysely<Database>, key: LinkKey, sourceIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const part of chunks(sourceIds)) {
    const rows = await db
      .selectFrom('import_links')
      .select(['source_id', 'target_id'])
      .where('company_id', '=', key.companyId)
      .where('source', '=', key.source)
      .where('kind', '=', key.kind)
      .where('source_id', 'in', part)
      .execute();
    for (const r of rows) out.set(r.source_id, r.target_id);
  }
  return out;
}

/** Records links; a source id already linked keeps its link. */
export async function insertLinks(
  db: Kysely<Database>,
  key: LinkKey,
  links: ReadonlyArray<{ sourceId: string; targetId: string }>,
  now: string,
): Promise<void> {
  const rows = links.map((l) => ({
    company_id: key.companyId,
    source: key.source,
    kind: key.kind,
    source_id: l.sourceId,
    target_id: l.targetId,
    created_at: now,
  }));
  for (const part of chunks(rows)) {
    await db
      .insertInto('import_links')
      .values(part)
      .onConflict((oc) => oc.columns(['company_id', 'source', 'kind', 'source_id']).doNothing())
      .execute();
  }
}

/** Forgets links (their roster records are gone). */
export async function deleteLinks(db: Kysely<Database>, key: LinkKey, sourceIds: readonly string[]): Promise<void> {
  for (const part of chunks(sourceIds)) {
    await db
      .deleteFrom('import_links')
      .where('company_id', '=', key.companyId)
      .where('source', '=', key.source)
      .where('kind', '=', key.kind)
      .where('source_id', 'in', part)
      .execute();
  }
}

/** The links whose roster id is not the source id (a Chatwoot id roster could not keep), by source id. */
export async function linksNotKept(db: Kysely<Database>, key: LinkKey, limit: number): Promise<Array<{ sourceId: string; targetId: string }>> {
  const rows = await db
    .selectFrom('import_links')
    .select(['source_id', 'target_id'])
    .where('company_id', '=', key.companyId)
    .where('source', '=', key.source)
    .where('kind', '=', key.kind)
    .whereRef('source_id', '<>', 'target_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ sourceId: r.source_id, targetId: r.target_id })).sort((a, b) => Number(a.sourceId) - Number(b.sourceId));
}
