/**
 * How a Chatwoot database stores what roster keeps as names: Rails enums as integers, feature flags
 * as the bits of one bigint. Read from Chatwoot 4.8 (db/schema.rb, app/models/account_user.rb,
 * config/initializers/languages.rb, config/features.yml; see /work/notes/chatwoot-r2.md).
 */

/** `AccountUser` `enum :role, { agent: 0, administrator: 1 }`. */
export const CHATWOOT_ROLES: Readonly<Record<number, 'agent' | 'administrator'>> = { 0: 'agent', 1: 'administrator' };

/** `enum :availability, { online: 0, offline: 1, busy: 2 }` (account_users and users). */
export const CHATWOOT_AVAILABILITY: Readonly<Record<number, 'online' | 'offline' | 'busy'>> = { 0: 'online', 1: 'offline', 2: 'busy' };

/** `Account` `enum :status, { active: 0, suspended: 1 }`. */
export const CHATWOOT_STATUSES: Readonly<Record<number, 'active' | 'suspended'>> = { 0: 'active', 1: 'suspended' };

/**
 * `Account.locale`: the index in LANGUAGES_CONFIG. 5 (hi) and 11 (zh) are disabled in 4.8 but may
 * be stored by older versions, and roster's accounts take both.
 */
export const CHATWOOT_LOCALES: readonly string[] = [
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
];

/**
 * `accounts.feature_flags`: FlagShihTzu bits in config/features.yml order, the first flag the
 * lowest bit (value 1). roster's accounts show the flags they know of and keep the rest.
 */
export const CHATWOOT_FEATURE_BITS: readonly string[] = [
  'inbound_emails',
  'channel_email',
  'channel_facebook',
  'channel_twitter',
  'ip_lookup',
  'disable_branding',
  'email_continuity_on_api_channel',
  'help_center',
  'agent_bots',
  'macros',
  'agent_management',
  'team_management',
  'inbox_management',
  'labels',
  'custom_attributes',
  'automations',
  'canned_responses',
  'integrations',
  'voice_recorder',
  'mobile_v2',
  'channel_website',
  'campaigns',
  'reports',
  'crm',
  'auto_resolve_conversations',
  'custom_reply_email',
  'custom_reply_domain',
  'audit_logs',
  'response_bot',
  'message_reply_to',
  'insert_article_in_reply',
  'inbox_view',
  'sla',
  'help_center_embedding_search',
  'linear_integration',
  'captain_integration',
  'custom_roles',
  'chatwoot_v4',
  'report_v4',
  'contact_chatwoot_support_team',
  'shopify_integration',
  'search_with_gin',
  'channel_instagram',
  'crm_integration',
  'channel_voice',
  'notion_integration',
  'captain_integration_v2',
  'whatsapp_embedded_signup',
  'whatsapp_campaign',
  'crm_v2',
  'assignment_v2',
  'twilio_content_templates',
  'advanced_search',
  'saml',
  'advanced_search_indexing',
  'reply_mailer_migration',
  'quoted_email_reply',
  'companies',
];

/** The enabled flags of a feature_flags value (decimal text of a bigint), in bit order. */
export function featuresOf(flags: string | number | bigint | null): string[] {
  let bits: bigint;
  try {
    bits = BigInt(flags ?? 0);
  } catch {
    return [];
  }
  return CHATWOOT_FEATURE_BITS.filter((_, i) => (bits >> BigInt(i)) & 1n);
}

/** The feature_flags value of a list of flags (for tests and fixtures). */
export function featureFlagsOf(names: readonly string[]): bigint {
  let bits = 0n;
  for (const name of names) {
    const i = CHATWOOT_FEATURE_BITS.indexOf(name);
    if (i >= 0) bits |= 1n << BigInt(i);
  }
  return bits;
}
