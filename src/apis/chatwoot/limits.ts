/**
 * Chatwoot's limits, declared once: the rules (accounts.ts, agent-bots.ts, users.ts) and the request
 * schemas' descriptions (schemas.ts) read these. Requests are typed by the schemas and measured by the
 * rules, which word their messages as Chatwoot's Rails models do.
 */
export const LIMITS = {
  account: { name: 255, domain: 100, supportEmail: 255, limitKeys: 50, limitKey: 64 },
  agentBot: { name: 255, description: 2000, outgoingUrl: 2048 },
  user: { name: 255, displayName: 255, passwordMin: 6, passwordMax: 128 },
  /** Free-form JSON fields (custom_attributes, limits): levels (the field's own object is 1) and bytes as JSON. */
  freeForm: { maxDepth: 8, maxBytes: 16 * 1024 },
} as const;
