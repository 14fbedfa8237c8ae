/**
 * A Kysely dialect wrapper that runs a hook before each statement reaches the driver: tests use it
 * to make something happen at an exact point of a request (between a login's password check and
 * its session insert, say). Pass it as openDb's `wrapDialect`.
 */
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';

export type BeforeStatement = (sql: string) => Promise<void>;

class HookedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly before: BeforeStatement,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    await this.before(query.sql);
    return this.inner.executeQuery<R>(query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

const unwrap = (c: DatabaseConnection) => (c instanceof HookedConnection ? c.inner : c);

class HookedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly before: BeforeStatement,
  ) {}
  init = () => this.inner.init();
  acquireConnection = async () => new HookedConnection(await this.inner.acquireConnection(), this.before);
  beginTransaction = (c: DatabaseConnection, s: TransactionSettings) => this.inner.beginTransaction(unwrap(c), s);
  commitTransaction = (c: DatabaseConnection) => this.inner.commitTransaction(unwrap(c));
  rollbackTransaction = (c: DatabaseConnection) => this.inner.rollbackTransaction(unwrap(c));
  releaseConnection = (c: DatabaseConnection) => this.inner.releaseConnection(unwrap(c));
  destroy = () => this.inner.destroy();
}

export function hookedDialect(inner: Dialect, before: BeforeStatement): Dialect {
  return {
    createDriver: () => new HookedDriver(inner.createDriver(), before),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
  };
}
