/**
 * A Kysely dialect wrapper that translates driver errors into typed store errors (errors.ts) in the
 * one place every statement passes: the driver and its connections. Queries, transactions, savepoints
 * and connection checkout all go through it, so no module above the store sees a driver error.
 */
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import { translateDriverError } from './errors.js';

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw translateDriverError(err);
  }
}

class TranslatingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return guard(() => this.inner.executeQuery<R>(query));
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (err) {
      throw translateDriverError(err);
    }
  }
}

const unwrap = (c: DatabaseConnection) => (c instanceof TranslatingConnection ? c.inner : c);

class TranslatingDriver implements Driver {
  constructor(private readonly inner: Driver) {}
  init = () => guard(() => this.inner.init());
  acquireConnection = () => guard(async () => new TranslatingConnection(await this.inner.acquireConnection()));
  beginTransaction = (c: DatabaseConnection, s: TransactionSettings) => guard(() => this.inner.beginTransaction(unwrap(c), s));
  commitTransaction = (c: DatabaseConnection) => guard(() => this.inner.commitTransaction(unwrap(c)));
  rollbackTransaction = (c: DatabaseConnection) => guard(() => this.inner.rollbackTransaction(unwrap(c)));
  releaseConnection = (c: DatabaseConnection) => guard(() => this.inner.releaseConnection(unwrap(c)));
  destroy = () => this.inner.destroy();
  savepoint: Driver['savepoint'] = (c, name, compile) => guard(() => this.inner.savepoint!(unwrap(c), name, compile));
  rollbackToSavepoint: Driver['rollbackToSavepoint'] = (c, name, compile) => guard(() => this.inner.rollbackToSavepoint!(unwrap(c), name, compile));
  releaseSavepoint: Driver['releaseSavepoint'] = (c, name, compile) => guard(() => this.inner.releaseSavepoint!(unwrap(c), name, compile));
}

export function translatingDialect(inner: Dialect): Dialect {
  return {
    createDriver: () => new TranslatingDriver(inner.createDriver()),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
  };
}
