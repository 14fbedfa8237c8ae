/** The demo tenant `npm start` creates on a new database, so a newcomer can call every API at once. */
import type { Db } from './store/db.js';
import { countCompanies, createCompany, type Company } from './identity/companies.js';
import { createToken, createWidgetClient, type TokenCreated, type WidgetClientCreated } from './identity/credentials.js';
import { DomainError } from './identity/errors.js';

export interface DemoCredentials {
  company: Company;
  widgetClient: WidgetClientCreated;
  apiToken: TokenCreated;
  platformApp: TokenCreated;
}

export const DEMO_COMPANY = { code: 'demo', name: 'Demo Company' } as const;

/** Seeds the demo tenant when there is no company yet; undefined when there was one. */
export async function seedDemo(db: Db): Promise<DemoCredentials | undefined> {
  if ((await countCompanies(db)) > 0) return undefined;
  let company: Company;
  try {
    company = await createCompany(db, DEMO_COMPANY);
  } catch (err) {
    // Another node seeded it a moment ago.
    if (err instanceof DomainError && err.kind === 'conflict') return undefined;
    throw err;
  }
  return {
    company,
    widgetClient: await createWidgetClient(db, { companyCode: company.code, botName: 'Demo Bot' }),
    apiToken: await createToken(db, 'api_token', { companyCode: company.code, name: 'demo' }),
    platformApp: await createToken(db, 'platform_app', { companyCode: company.code, name: 'Demo Platform App' }),
  };
}
