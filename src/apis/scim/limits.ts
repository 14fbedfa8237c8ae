// The SCIM API's limits, declared once: the parser, the PATCH applier, list parameters and the
// discovery documents all read them from here.

export const SCIM_LIMITS = {
  /** Characters in a `filter` parameter or a PATCH `path`. */
  maxFilterLength: 4096,
  /** Nesting of parentheses, `not` and value filters (`[...]`) in one filter. */
  maxFilterDepth: 32,
  /** Operations in one PATCH request. */
  maxPatchOperations: 200,
  /** `count` when a list request gives none. */
  defaultCount: 100,
  /** Largest `count` a list request gets (also `filter.maxResults` in ServiceProviderConfig). */
  maxCount: 200,
  /** Largest `startIndex` honoured; anything above is clamped (the page is then empty). */
  maxStartIndex: 2_147_483_647,
  /** Names in one `attributes` or `excludedAttributes` parameter. */
  maxAttributeNames: 100,
  /**
   * Resources one list or search may read to answer a filter no index serves (or a sortBy): past it
   * the answer is 400 tooMany, not a slow scan of a huge company.
   */
  maxFilterScan: 50_000,
  /** Rows read per page of such a scan. */
  scanPageSize: 500,
  /** Characters in userName, names, displayName, externalId and the enterprise strings. */
  maxStringLength: 255,
  /** Operations in one /Bulk request (ServiceProviderConfig bulk.maxOperations). */
  maxBulkOperations: 100,
  /** Bytes in one /Bulk request body (ServiceProviderConfig bulk.maxPayloadSize). */
  maxBulkPayloadSize: 1_048_576,
} as const;
