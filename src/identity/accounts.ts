import type { NewAccountUser } from '../store/account-users.js';
import type { AccountRole } from '../store/schema.js';

/**
 * Accounts (Chatwoot's workspaces) as every API creates them: the Chatwoot Platform API, and SCIM,
 * whose Groups are a company's accounts. What a new account starts with is decided here once.
 *
 * The tables of Chatwoot 4.8 that an account's values come from are kept here once too, in
 * Chatwoot's order, because Chatwoot's database stores their positions: the locales
 * (`Account.locale` is the index in LANGUAGES_CONFIG) and the feature flags (`accounts.feature_flags`
 * holds FlagShihTzu bits in config/features.yml order, the first flag the lowest bit). The
 * Platform API checks names against them; `roster import` reads a Chatwoot database through them.
 */

/**
 * The locales an account may have: the codes of Chatwoot's LANGUAGES_CONFIG, in its order (ISO
 * 639-1, with a region for pt_BR, zh_CN and zh_TW); a code's index is what Chatwoot stores. 5 (hi)
 * and 11 (zh) are disabled in 4.8 but may be stored by older versions, and roster's accounts take both.
 */
export const LOCALES = [
  'en',
  'ar',
  'nl',
  'fr',
  'de',
  'hi',
  'it',
  'ja',
  'ko',
  'pt',
  'ru',
  'zh',
  'es',
  'ml',
  'ca',
  'el',
  'pt_BR',
  'ro',
  'ta',
  'fa',
  'zh_TW',
  'vi',
  'da',
  'tr',
  'cs',
  'fi',
  'id',
  'sv',
  'hu',
  'no',
  'zh_CN',
  'pl',
  'sk',
  'uk',
  'th',
  'lv',
  'is',
  'he',
  'lt',
  'sr',
  'bg',
] as const;
export type Locale = (typeof LOCALES)[number];

/**
 * The feature flags an account can have, and the installation's defaults for a new account: every
 * flag of Chatwoot 4.8's config/features.yml, in its order, with its `enabled` value (deprecated and
 * Chatwoot-internal flags included: Chatwoot accepts their names and seeds ACCOUNT_LEVEL_FEATURE_DEFAULTS
 * from the whole file). 4.8 turned `campaigns` on. The key order is the bit order of
 * `accounts.feature_flags`: do not reorder, only append what a later features.yml appends.
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
/** Every flag, in features.yml order: flag i is bit i of Chatwoot's `feature_flags`. */
export const FEATURES: readonly string[] = Object.keys(FEATURE_DEFAULTS);

export const defaultFeatures = (): string[] => FEATURES.filter((f) => FEATURE_DEFAULTS[f]);

/**
 * A membership (an account_users row) as Chatwoot 4.8 creates one, whichever API or import makes
 * it: no inviter, available ('online'), auto-offline on, never active yet.
 */
export function newMembershipRow(m: { accountId: number; userId: number; role: AccountRole; now: string }): NewAccountUser {
  return {
    account_id: m.accountId,
    user_id: m.userId,
    role: m.role,
    inviter_id: null,
    availability: 'online',
    auto_offline: 1,
    active_at: null,
    created_at: m.now,
    updated_at: m.now,
  };
}
