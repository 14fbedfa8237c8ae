/**
 * `roster import` as a service of the composition root (services.ts): the CLI calls it, and so
 * can any other operator surface. Each method resolves the company by its code, then runs one
 * import (see users.ts, widget-users.ts, chatwoot.ts).
 */
import type { CompanyService } from '../identity/companies.js';
import type { Db } from '../store/db.js';
import { importChatwoot, type ChatwootImportOptions, type ChatwootImportReport } from './chatwoot.js';
import type { ImportReport } from './run.js';
import { importUsers, type UsersImportOptions } from './users.js';
import { importWidgetUsers, type WidgetUsersImportOptions } from './widget-users.js';

type WithCompanyCode<T> = Omit<T, 'company'> & { companyCode: string };

export class ImportService {
  constructor(
    private readonly db: Db,
    private readonly companies: CompanyService,
  ) {}

  async users(input: WithCompanyCode<UsersImportOptions>): Promise<ImportReport> {
    const { companyCode, ...rest } = input;
    return importUsers(this.db, { ...rest, company: await this.companies.get(companyCode) });
  }

  async widgetUsers(input: WithCompanyCode<WidgetUsersImportOptions>): Promise<ImportReport> {
    const { companyCode, ...rest } = input;
    return importWidgetUsers(this.db, { ...rest, company: await this.companies.get(companyCode) });
  }

  async chatwoot(input: WithCompanyCode<ChatwootImportOptions>): Promise<ChatwootImportReport> {
    const { companyCode, ...rest } = input;
    return importChatwoot(this.db, { ...rest, company: await this.companies.get(companyCode) });
  }
}
