/**
 * Accounts (Chatwoot's workspaces) as every API creates them: the Chatwoot Platform API, and SCIM,
 * whose Groups are a company's accounts. What a new account starts with is decided here once.
 */

/**
 * The feature flags an account can have, and the installation's defaults for a new account
 * (Chatwoot's config/features.yml, without its deprecated and Chatwoot-internal flags).
 */
export const FEATURE_DEFAULTS: Readonly<Record<string, boolean>> = {
  inbound_emails: true,
  channel_email: true,
  channel_facebook: true,
  channel_twitter: true,
  channel_instagram: true,
  channel_website: true,
  ip_lookup: false,
  disable_branding: false,
  email_continuity_on_api_channel: false,
  help_center: true,
  agent_bots: true,
  macros: true,
  agent_management: true,
  team_management: true,
  inbox_management: true,
  labels: true,
  custom_attributes: true,
  automations: true,
  canned_responses: true,
  integrations: true,
  voice_recorder: true,
  campaigns: false,
  reports: true,
  crm: true,
  auto_resolve_conversations: true,
  custom_reply_email: false,
  custom_reply_domain: false,
  audit_logs: false,
  inbox_view: false,
  sla: false,
  linear_integration: false,
  notion_integration: false,
  captain_integration: false,
  custom_roles: false,
  chatwoot_v4: true,
  crm_integration: false,
  whatsapp_embedded_signup: false,
  whatsapp_campaign: false,
};
export const FEATURES = Object.keys(FEATURE_DEFAULTS);

export const defaultFeatures = (): string[] => FEATURES.filter((f) => FEATURE_DEFAULTS[f]);
