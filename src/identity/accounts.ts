/**
 * Accounts (Chatwoot's workspaces) as every API creates them: the Chatwoot Platform API, and SCIM,
 * whose Groups are a company's accounts. What a new account starts with is decided here once.
 */

/**
 * The feature flags an account can have, and the installation's defaults for a new account: every
 * flag of Chatwoot 4.8's config/features.yml, in its order, with its `enabled` value (deprecated and
 * Chatwoot-internal flags included: Chatwoot accepts their names and seeds ACCOUNT_LEVEL_FEATURE_DEFAULTS
 * from the whole file). 4.8 turned `campaigns` on.
 */
export const FEATURE_DEFAULTS: Readonly<Record<string, boolean>> = {
  inbound_emails: true,
  channel_email: true,
  channel_facebook: true,
  channel_twitter: true,
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
  mobile_v2: false,
  channel_website: true,
  campaigns: true,
  reports: true,
  crm: true,
  auto_resolve_conversations: true,
  custom_reply_email: false,
  custom_reply_domain: false,
  audit_logs: false,
  response_bot: false,
  message_reply_to: true,
  insert_article_in_reply: false,
  inbox_view: false,
  sla: false,
  help_center_embedding_search: false,
  linear_integration: false,
  captain_integration: false,
  custom_roles: false,
  chatwoot_v4: true,
  report_v4: true,
  contact_chatwoot_support_team: true,
  shopify_integration: false,
  search_with_gin: false,
  channel_instagram: true,
  crm_integration: false,
  channel_voice: false,
  notion_integration: false,
  captain_integration_v2: false,
  whatsapp_embedded_signup: false,
  whatsapp_campaign: false,
  crm_v2: false,
  assignment_v2: false,
  twilio_content_templates: false,
  advanced_search: false,
  saml: false,
  advanced_search_indexing: false,
  reply_mailer_migration: false,
  quoted_email_reply: false,
  companies: false,
};
export const FEATURES = Object.keys(FEATURE_DEFAULTS);

export const defaultFeatures = (): string[] => FEATURES.filter((f) => FEATURE_DEFAULTS[f]);
