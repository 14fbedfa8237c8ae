/** Shared by the SCIM end-to-end tests: a company with a SCIM token, and a client for /scim/v2. */
import type { Reply } from '../fixtures/http.js';
import type { TestApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';

export const SCIM = '/scim/v2';
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_TYPE = 'application/scim+json; charset=utf-8';

/** A password that passes the default company policy. */
export const GOOD_PASSWORD = 'Tr0ub4dor&3-horse';

export interface ScimTenant {
  companyId: number;
  code: string;
  token: string;
  tokenId: string;
}

export async function scimTenant(srv: TestApp, code: string): Promise<ScimTenant> {
  const s = servicesOf(srv.db);
  const company = await s.companies.create({ code, name: code.toUpperCase() });
  const t = await s.credentials.createToken('scim_token', { companyCode: code, name: 'Okta' });
  return { companyId: company.id, code, token: t.token, tokenId: t.id };
}

export type Scim = (method: string, path: string, json?: unknown, headers?: Record<string, string>) => Promise<Reply>;

/** Calls /scim/v2 with this token (undefined: no Authorization header), bodies as application/scim+json. */
export function scimClient(srv: TestApp, token: string | undefined): Scim {
  return (method, path, json, headers = {}) =>
    srv.call(method, SCIM + path, {
      headers: {
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
        ...(json !== undefined && { 'content-type': 'application/scim+json' }),
        ...headers,
      },
      json,
    });
}

let seq = 0;
export const uniqueEmail = (label = 'user') => `${label}.${process.pid}.${++seq}@example.com`;

/** An Okta-style User body. */
export function oktaUser(email: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA],
    userName: email,
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    emails: [{ primary: true, value: email, type: 'work' }],
    displayName: 'Barbara Jensen',
    locale: 'en-US',
    externalId: `00u${seq}`,
    groups: [],
    password: GOOD_PASSWORD,
    active: true,
    ...extra,
  };
}

export const patchOp = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
