/** Shared by the Chatwoot end-to-end tests: a tenant with a platform app, and a client for the API. */
import type { Reply } from '../fixtures/http.js';
import type { TestApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';

export const PREFIX = '/platform/api/v1';

/** A password that passes Chatwoot's rules and the default company policy. */
export const GOOD_PASSWORD = 'Tr0ub4dor&3-horse';

export interface Tenant {
  companyId: number;
  code: string;
  token: string;
  appId: string;
}

export async function createTenant(srv: TestApp, code: string): Promise<Tenant> {
  const company = await servicesOf(srv.db).companies.create({ code, name: code.toUpperCase() });
  return { companyId: company.id, code, ...(await newApp(srv, code)) };
}

export async function newApp(srv: TestApp, code: string): Promise<{ token: string; appId: string }> {
  const t = await servicesOf(srv.db).credentials.createToken('platform_app', { companyCode: code, name: `${code} app` });
  return { token: t.token, appId: t.id };
}

export type Api = (method: string, path: string, json?: unknown, headers?: Record<string, string>) => Promise<Reply>;

/** Calls the Platform API with this token (undefined: no header at all). */
export function api(srv: TestApp, token: string | undefined): Api {
  return (method, path, json, headers = {}) =>
    srv.call(method, PREFIX + path, { headers: { ...(token !== undefined && { api_access_token: token }), ...headers }, json });
}

let seq = 0;
export const uniqueEmail = (label = 'user') => `${label}.${process.pid}.${++seq}@example.com`;
