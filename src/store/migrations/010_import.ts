import type { Kysely } from 'kysely';
import type { MigrationContext } from './helpers.js';

/**
 * `roster import` (issue 13): what each import brought in from where. One row per record of the
 * source (a Chatwoot user, account or platform app) and the roster record it became, so that a
 * second run of the same import finds what the first one wrote, even where a Chatwoot id could not
 * be kept. (A users file's external_id is the user's own column, users.external_id.) A link whose roster record was deleted since is dropped
 * and made anew by the next run.
 */
export function importLinks(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('import_links')
        .addColumn('company_id', 'bigint', (c) => c.notNull().references('companies.id').onDelete('cascade'))
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('source_id', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('import_links_pkey', ['company_id', 'source', 'kind', 'source_id'])
        .execute();
      await db.schema.createIndex('import_links_target_idx').on('import_links').columns(['kind', 'target_id']).execute();
    },
  };
}
