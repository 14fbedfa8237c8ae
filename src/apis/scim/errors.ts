// SCIM protocol errors (RFC 7644 §3.12): one typed error that every SCIM module throws, and the body a
// SCIM client expects for it. Nothing in src/apis/scim throws anything else for bad input.

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** The `scimType` values of RFC 7644 Table 9. */
export type ScimType =
  'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  readonly detail: string;

  constructor(status: number, detail: string, scimType?: ScimType) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
    this.detail = detail;
  }
}

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export function scimErrorBody(err: ScimError): ScimErrorBody {
  const body: ScimErrorBody = { schemas: [SCIM_ERROR_SCHEMA], status: String(err.status), detail: err.detail };
  if (err.scimType !== undefined) body.scimType = err.scimType;
  return body;
}

export const invalidFilter = (detail: string): ScimError => new ScimError(400, detail, 'invalidFilter');
export const invalidValue = (detail: string): ScimError => new ScimError(400, detail, 'invalidValue');
export const invalidPath = (detail: string): ScimError => new ScimError(400, detail, 'invalidPath');
export const noTarget = (detail: string): ScimError => new ScimError(400, detail, 'noTarget');
export const invalidSyntax = (detail: string): ScimError => new ScimError(400, detail, 'invalidSyntax');
export const mutability = (detail: string): ScimError => new ScimError(400, detail, 'mutability');
export const tooMany = (detail: string): ScimError => new ScimError(400, detail, 'tooMany');
export const uniqueness = (detail: string): ScimError => new ScimError(409, detail, 'uniqueness');
export const notFound = (detail: string): ScimError => new ScimError(404, detail);
export const preconditionFailed = (detail: string): ScimError => new ScimError(412, detail);
/** RFC 7644 §3.7.4: a bulk request over `maxOperations` or `maxPayloadSize`. */
export const payloadTooLarge = (detail: string): ScimError => new ScimError(413, detail);
