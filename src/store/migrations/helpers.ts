import type { ColumnDataType, ColumnDefinitionBuilder } from 'kysely';
import type { DbKind } from '../db.js';

export interface MigrationContext {
  kind: DbKind;
}

/**
 * An autoincrement primary key: SQLite's INTEGER PRIMARY KEY AUTOINCREMENT (a rowid alias, ids
 * never reused), PostgreSQL's bigint identity. Spread into addColumn('id', ...autoId(ctx)).
 */
export function autoId(ctx: MigrationContext): [ColumnDataType, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  return ctx.kind === 'postgres' ? ['bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity()] : ['integer', (c) => c.primaryKey().autoIncrement()];
}
