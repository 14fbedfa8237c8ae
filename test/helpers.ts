/**
 * The old home of the test helpers, kept for the unit tests beside the code that import it
 * (src/store/precompile.test.ts). New tests import from test/fixtures/.
 */
export { createTestDatabase, openTestDb, STORES, type TestDatabase } from './fixtures/databases.js';
export { call, type Reply } from './fixtures/http.js';
export { startTestServer, type TestServer } from './fixtures/server.js';
