// The attributes roster's SCIM API supports (RFC 7643 §2.2, §3.1, §4, §7): one definition used by the
// filter evaluator (caseExact, types), the PATCH applier (multiValued, mutability), list projection
// (returned) and the /Schemas discovery documents, so what is described is exactly what is handled.

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface AttributeDef {
  readonly name: string;
  readonly type: AttributeType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: Uniqueness;
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly AttributeDef[];
}

export interface SchemaDef {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttributeDef[];
}

export interface ResourceTypeDef {
  readonly id: 'User' | 'Group';
  readonly name: string;
  readonly endpoint: string;
  readonly description: string;
  readonly schema: SchemaDef;
  readonly schemaExtensions: readonly { readonly schema: SchemaDef; readonly required: boolean }[];
}

type Characteristics = Partial<Omit<AttributeDef, 'name' | 'type' | 'description'>>;

// RFC 7643 §2.2 defaults: optional, case-insensitive, readWrite, returned by default, not unique, single.
function attr(name: string, type: AttributeType, description: string, more: Characteristics = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...more,
  };
}

/** RFC 7643 §3.1: attributes of every resource, outside any schema's attribute list. */
export const COMMON_ATTRIBUTES: readonly AttributeDef[] = [
  attr('id', 'string', 'Unique identifier for the resource, assigned by roster.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  attr('externalId', 'string', "Identifier of the resource in the provisioning client's own system.", { caseExact: true }),
  attr('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      attr('resourceType', 'string', 'Name of the resource type.', { caseExact: true, mutability: 'readOnly' }),
      attr('created', 'dateTime', 'When the resource was added.', { mutability: 'readOnly' }),
      attr('lastModified', 'dateTime', 'When the resource was last changed.', { mutability: 'readOnly' }),
      attr('location', 'reference', 'URI of the resource.', { caseExact: true, mutability: 'readOnly', referenceTypes: ['uri'] }),
      attr('version', 'string', 'Version (ETag) of the resource.', { caseExact: true, mutability: 'readOnly' }),
    ],
  }),
];

export const userSchema: SchemaDef = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    attr('userName', 'string', 'Unique identifier for the User, compared case-insensitively within the company.', {
      required: true,
      uniqueness: 'server',
    }),
    attr('name', 'complex', "The components of the user's name.", {
      subAttributes: [
        attr('formatted', 'string', 'The full name, formatted for display.'),
        attr('familyName', 'string', 'The family name (last name).'),
        attr('givenName', 'string', 'The given name (first name).'),
      ],
    }),
    attr('displayName', 'string', 'The name of the User, suitable for display.'),
    attr('active', 'boolean', "The User's administrative status: false blocks every login and ends every session."),
    attr('password', 'string', "The User's cleartext password, checked against the company's password policy.", {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    attr('emails', 'complex', 'Email addresses; the primary (else work, else only) one is the login email.', {
      multiValued: true,
      subAttributes: [
        attr('value', 'string', 'The email address.'),
        attr('type', 'string', "A label for the address, e.g. 'work'.", { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean', 'Whether this is the primary address.'),
      ],
    }),
  ],
};

export const enterpriseUserSchema: SchemaDef = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    attr('employeeNumber', 'string', 'Identifier of the user in the organization.'),
    attr('department', 'string', 'Name of a department.'),
    attr('manager', 'complex', "The User's manager.", {
      subAttributes: [
        attr('value', 'string', 'The id of the manager User.', { caseExact: true }),
        attr('$ref', 'reference', 'The URI of the manager User.', { caseExact: true, referenceTypes: ['User'] }),
        attr('displayName', 'string', "The manager's displayName.", { mutability: 'readOnly' }),
      ],
    }),
  ],
};

export const groupSchema: SchemaDef = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group: one Chatwoot account of the company; its members are the account users.',
  attributes: [
    attr('displayName', 'string', 'Human-readable name for the Group (the account name).', { required: true }),
    attr('members', 'complex', 'A list of members of the Group.', {
      multiValued: true,
      subAttributes: [
        attr('value', 'string', 'Identifier of the member User.', { caseExact: true, mutability: 'immutable' }),
        attr('$ref', 'reference', 'The URI of the member User.', {
          caseExact: true,
          mutability: 'immutable',
          referenceTypes: ['User'],
        }),
        attr('display', 'string', "The member's displayName.", { mutability: 'readOnly' }),
        attr('type', 'string', 'The type of member.', { mutability: 'immutable', canonicalValues: ['User'] }),
      ],
    }),
  ],
};

export const USER_RESOURCE: ResourceTypeDef = {
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  schema: userSchema,
  schemaExtensions: [{ schema: enterpriseUserSchema, required: false }],
};

export const GROUP_RESOURCE: ResourceTypeDef = {
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: groupSchema,
  schemaExtensions: [],
};

export const RESOURCE_TYPES: readonly ResourceTypeDef[] = [USER_RESOURCE, GROUP_RESOURCE];
export const SCHEMAS: readonly SchemaDef[] = [userSchema, enterpriseUserSchema, groupSchema];

// ---- helpers shared by filter, patch and list ----

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The own key of `obj` that equals `name` case-insensitively (attribute names are case-insensitive). */
export function findKey(obj: JsonObject, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

export function getCI(obj: JsonObject, name: string): unknown {
  const key = findKey(obj, name);
  return key === undefined ? undefined : obj[key];
}

export function findSubAttribute(def: AttributeDef, name: string): AttributeDef | undefined {
  const lower = name.toLowerCase();
  return def.subAttributes?.find((s) => s.name.toLowerCase() === lower);
}

export function findExtension(rt: ResourceTypeDef, urn: string): SchemaDef | undefined {
  const lower = urn.toLowerCase();
  return rt.schemaExtensions.find((e) => e.schema.id.toLowerCase() === lower)?.schema;
}

/** A top-level attribute of a resource type, and where its value lives. */
export interface TopAttribute {
  /** The schema that defines it (the core schema for common attributes). */
  readonly schema: SchemaDef;
  /** True when the value lives in the resource's object keyed by the extension's URN. */
  readonly extension: boolean;
  readonly attribute: AttributeDef;
}

/**
 * Finds `name` (case-insensitively) in the schema `uri` names, or, without a URI, in the core schema
 * and common attributes first, then in the extensions (RFC 7644 §3.10 lets clients omit the core URN
 * and asks, but does not require, them to qualify extension attributes).
 */
export function findTopAttribute(rt: ResourceTypeDef, uri: string | undefined, name: string): TopAttribute | undefined {
  const lower = name.toLowerCase();
  const inCore = (): TopAttribute | undefined => {
    const a = rt.schema.attributes.find((x) => x.name.toLowerCase() === lower) ?? COMMON_ATTRIBUTES.find((x) => x.name.toLowerCase() === lower);
    return a && { schema: rt.schema, extension: false, attribute: a };
  };
  const inExtension = (schema: SchemaDef): TopAttribute | undefined => {
    const a = schema.attributes.find((x) => x.name.toLowerCase() === lower);
    return a && { schema, extension: true, attribute: a };
  };
  if (uri !== undefined) {
    if (uri.toLowerCase() === rt.schema.id.toLowerCase()) return inCore();
    const ext = findExtension(rt, uri);
    return ext && inExtension(ext);
  }
  const core = inCore();
  if (core) return core;
  for (const { schema } of rt.schemaExtensions) {
    const found = inExtension(schema);
    if (found) return found;
  }
  return undefined;
}

/** Every top-level attribute of a resource type: core, common, then extensions. */
export function allTopAttributes(rt: ResourceTypeDef): TopAttribute[] {
  return [
    ...rt.schema.attributes.map((attribute) => ({ schema: rt.schema, extension: false, attribute })),
    ...COMMON_ATTRIBUTES.map((attribute) => ({ schema: rt.schema, extension: false, attribute })),
    ...rt.schemaExtensions.flatMap(({ schema }) => schema.attributes.map((attribute) => ({ schema, extension: true, attribute }))),
  ];
}
