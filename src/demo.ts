/** The demo tenant `npm start` creates on a new database, so a newcomer can call every API at once. */
import type { Company } from './identity/companies.js';
import type { TokenCreated, WidgetClientCreated } from './identity/credentials.js';
import type { Services } from './services.js';
import { DomainError } from './identity/errors.js';

export interface DemoCredentials {
  company: Company;
  widgetClient: WidgetClientCreated;
  apiToken: TokenCreated;
  platformApp: TokenCreated;
}

export const DEMO_COMPANY = { code: 'demo', name: 'Demo Company' } as const;

/** Seeds the demo tenant when there is no company yet; undefined when there was one. */
export async function seedDemo({ companies, credentials }: Pick<Services, 'companies' | 'credentials'>): Promise<DemoCredentials | undefined> {
  if ((await companies.count()) > 0) return undefined;
  let company: Company;
  try {
    company = await companies.create(DEMO_COMPANY);
  } catch (err) {
    // Another node seeded it a moment ago.
    if (err instanceof DomainError && err.kind === 'conflict') return undefined;
    throw err;
  }
  return {
    company,
    widgetClient: await credentials.createWidgetClient({ companyCode: company.code, botName: 'Demo Bot' }),
    apiToken: await credentials.createToken('api_token', { companyCode: company.code, name: 'demo' }),
    platformApp: await credentials.createToken('platform_app', { companyCode: company.code, name: 'Demo Platform App' }),
  };
}
