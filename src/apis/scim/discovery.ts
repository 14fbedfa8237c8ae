// SCIM discovery documents (RFC 7643 §5-§7, RFC 7644 §4): /ServiceProviderConfig, /ResourceTypes and
// /Schemas, rendered from the one attribute definition in schema.ts so they describe exactly what the
// filter, PATCH and list modules handle.

import { notFound } from './errors.js';
import { SCIM_LIMITS } from './limits.js';
import { listResponse, type ListResponse } from './list.js';
import { RESOURCE_TYPES, SCHEMAS, type AttributeDef, type ResourceTypeDef, type SchemaDef } from './schema.js';

export const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export interface DiscoveryOptions {
  /** Bulk limits are published even when bulk is off (Okta and Entra read them). */
  readonly bulk?: { readonly supported: boolean; readonly maxOperations: number; readonly maxPayloadSize: number };
  /** `filter.maxResults` (default SCIM_LIMITS.maxCount). */
  readonly filterMaxResults?: number;
  readonly etag?: boolean;
  readonly patch?: boolean;
  readonly sort?: boolean;
  readonly changePassword?: boolean;
  readonly documentationUri?: string;
}

interface Meta {
  resourceType: string;
  location: string;
}

export interface ServiceProviderConfigDocument {
  schemas: [typeof SERVICE_PROVIDER_CONFIG_SCHEMA];
  documentationUri?: string;
  patch: { supported: boolean };
  bulk: { supported: boolean; maxOperations: number; maxPayloadSize: number };
  filter: { supported: boolean; maxResults: number };
  changePassword: { supported: boolean };
  sort: { supported: boolean };
  etag: { supported: boolean };
  authenticationSchemes: {
    type: string;
    name: string;
    description: string;
    specUri: string;
    primary: boolean;
  }[];
  meta: Meta;
}

export interface ResourceTypeDocument {
  schemas: [typeof RESOURCE_TYPE_SCHEMA];
  id: string;
  name: string;
  endpoint: string;
  description: string;
  schema: string;
  schemaExtensions: { schema: string; required: boolean }[];
  meta: Meta;
}

export interface AttributeDocument {
  name: string;
  type: string;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: string;
  returned: string;
  uniqueness: string;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDocument[];
}

export interface SchemaDocument {
  schemas: [typeof SCHEMA_SCHEMA];
  id: string;
  name: string;
  description: string;
  attributes: AttributeDocument[];
  meta: Meta;
}

function base(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

export function serviceProviderConfig(baseUrl: string, options: DiscoveryOptions = {}): ServiceProviderConfigDocument {
  const doc: ServiceProviderConfigDocument = {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    patch: { supported: options.patch ?? true },
    bulk: {
      supported: options.bulk?.supported ?? false,
      maxOperations: options.bulk?.maxOperations ?? 0,
      maxPayloadSize: options.bulk?.maxPayloadSize ?? 0,
    },
    filter: { supported: true, maxResults: options.filterMaxResults ?? SCIM_LIMITS.maxCount },
    changePassword: { supported: options.changePassword ?? false },
    sort: { supported: options.sort ?? false },
    etag: { supported: options.etag ?? false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Authentication with a SCIM token (roster scim-token create), sent as Authorization: Bearer <token>.',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base(baseUrl)}/ServiceProviderConfig` },
  };
  if (options.documentationUri !== undefined) doc.documentationUri = options.documentationUri;
  return doc;
}

function resourceTypeDocument(baseUrl: string, rt: ResourceTypeDef): ResourceTypeDocument {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: rt.id,
    name: rt.name,
    endpoint: rt.endpoint,
    description: rt.description,
    schema: rt.schema.id,
    schemaExtensions: rt.schemaExtensions.map((e) => ({ schema: e.schema.id, required: e.required })),
    meta: { resourceType: 'ResourceType', location: `${base(baseUrl)}/ResourceTypes/${rt.id}` },
  };
}

function attributeDocument(a: AttributeDef): AttributeDocument {
  const doc: AttributeDocument = {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued,
    description: a.description,
    required: a.required,
    caseExact: a.caseExact,
    mutability: a.mutability,
    returned: a.returned,
    uniqueness: a.uniqueness,
  };
  if (a.canonicalValues) doc.canonicalValues = [...a.canonicalValues];
  if (a.referenceTypes) doc.referenceTypes = [...a.referenceTypes];
  if (a.subAttributes) doc.subAttributes = a.subAttributes.map(attributeDocument);
  return doc;
}

function schemaDocument(baseUrl: string, s: SchemaDef): SchemaDocument {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes.map(attributeDocument),
    meta: { resourceType: 'Schema', location: `${base(baseUrl)}/Schemas/${s.id}` },
  };
}

export function resourceTypes(baseUrl: string): ResourceTypeDocument[] {
  return RESOURCE_TYPES.map((rt) => resourceTypeDocument(baseUrl, rt));
}

/** GET /ResourceTypes: a ListResponse of every resource type. */
export function resourceTypesList(baseUrl: string): ListResponse<ResourceTypeDocument> {
  const all = resourceTypes(baseUrl);
  return listResponse(all, { totalResults: all.length, startIndex: 1 });
}

/** GET /ResourceTypes/{id}. Throws ScimError 404 for an unknown id. */
export function resourceType(baseUrl: string, id: string): ResourceTypeDocument {
  const rt = RESOURCE_TYPES.find((r) => r.id === id);
  if (!rt) throw notFound(`resource type ${JSON.stringify(id.slice(0, 100))} not found`);
  return resourceTypeDocument(baseUrl, rt);
}

export function schemas(baseUrl: string): SchemaDocument[] {
  return SCHEMAS.map((s) => schemaDocument(baseUrl, s));
}

/** GET /Schemas: a ListResponse of every schema. */
export function schemasList(baseUrl: string): ListResponse<SchemaDocument> {
  const all = schemas(baseUrl);
  return listResponse(all, { totalResults: all.length, startIndex: 1 });
}

/** GET /Schemas/{id} (the schema URN). Throws ScimError 404 for an unknown id. */
export function schema(baseUrl: string, id: string): SchemaDocument {
  const s = SCHEMAS.find((x) => x.id === id);
  if (!s) throw notFound(`schema ${JSON.stringify(id.slice(0, 200))} not found`);
  return schemaDocument(baseUrl, s);
}
