/**
 * `roster import` as a service of the composition root (services.ts): the CLI calls it, and so
 * can any other operator surface. Each method resolves the company by its code, then runs one
 * import (see users.ts, widget-users.ts, chatwoot.ts).
 */
import type { CompanyService } from '../identity/companies.js';
import { refreshStatistics, type Db } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { importChatwoot, type ChatwootImportOptions, type ChatwootImportReport } from './chatwoot.js';
import type { ImportReport } from './run.js';
import { importUsers, type UsersImportOptions } from './users.js';
import { importWidgetUsers, type WidgetUsersImportOptions } from './widget-users.js';

type WithCompanyCode<T> = Omit<T, 'company'> & { companyCode: string };

/**
 * The tables each import writes whose plans depend on their size. Not the event log: it only
 * grows, it is read by its indexes, and it can be large enough for an ANALYZE to take a while.
 */
const WRITES: Record<'users' | 'widgetUsers' | 'chatwoot', Array<keyof Database>> = {
  users: ['users', 'account_users'],
  widgetUsers: ['widget_users', 'rooms', 'room_members'],
  chatwoot: ['accounts', 'users', 'account_users', 'credentials', 'platform_app_permissibles', 'import_links'],
};

export class ImportService {
  constructor(
    private readonly db: Db,
    private readonly companies: CompanyService,
  ) {}

  async users(input: WithCompanyCode<UsersImportOptions>): Promise<ImportReport> {
    const { companyCode, ...rest } = input;
    return this.#analyzed('users', await importUsers(this.db, { ...rest, company: await this.companies.get(companyCode) }));
  }

  async widgetUsers(input: WithCompanyCode<WidgetUsersImportOptions>): Promise<ImportReport> {
    const { companyCode, ...rest } = input;
    return this.#analyzed('widgetUsers', await importWidgetUsers(this.db, { ...rest, company: await this.companies.get(companyCode) }));
  }

  async chatwoot(input: WithCompanyCode<ChatwootImportOptions>): Promise<ChatwootImportReport> {
    const { companyCode, ...rest } = input;
    return this.#analyzed('chatwoot', await importChatwoot(this.db, { ...rest, company: await this.companies.get(companyCode) }));
  }

  /**
   * A run that wrote rows ends by refreshing the planner's statistics of the tables it wrote
   * (PostgreSQL): the nodes serving the same database then plan for the new size at once, not after
   * autovacuum's next turn (docs/operations.md). Best effort: the run's rows are committed and its
   * report (with any tokens it shows only once) must reach the operator whatever happens here.
   */
  async #analyzed<R extends ImportReport>(kind: keyof typeof WRITES, report: R): Promise<R> {
    if (!report.dryRun && report.created + report.updated > 0) await refreshStatistics(this.db, WRITES[kind]);
    return report;
  }
}
