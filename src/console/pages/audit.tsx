/** The audit page: events filtered by company, type, actor and time, newest first, paged by keyset. */
import type { FastifyInstance } from 'fastify';
import type { VNode } from 'preact';
import type { AuditPage as Page } from '../../events/audit.js';
import { EVENT_TYPES, isEventType, type Actor } from '../../events/types.js';
import type { Company } from '../../identity/companies.js';
import { invalid, notFound } from '../../identity/errors.js';
import type { Services } from '../../services.js';
import { fieldsOf } from '../form.js';
import { contextOf, sendPage } from '../http.js';
import { Layout, Time, type PageContext } from '../ui.js';

const ACTOR_KINDS: ReadonlyArray<Actor['kind']> = [
  'operator',
  'cli',
  'widget_client',
  'api_token',
  'platform_app',
  'scim_token',
  'session',
  'anonymous',
  'import',
  'system',
];

const AUDIT_FIELDS = ['company', 'type', 'actorKind', 'actorId', 'since', 'until', 'before'] as const;
type AuditParams = { [K in (typeof AUDIT_FIELDS)[number]]?: string };

const PAGE_SIZE = 50;

function AuditView({ ctx, page, companies, p }: { ctx: PageContext; page: Page; companies: Company[]; p: AuditParams }): VNode {
  const next = page.next === null ? undefined : `/admin/audit?${new URLSearchParams({ ...strip(p), before: String(page.next) }).toString()}`;
  return (
    <Layout ctx={ctx} title="Audit">
      <form method="get" action="/admin/audit">
        <div class="grid">
          <div>
            <label for="company">Company</label>
            <select id="company" name="company">
              <option value="">All</option>
              {companies.map((c) => (
                <option value={c.code} selected={c.code === p.company}>
                  {c.code}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="type">Type</label>
            <select id="type" name="type">
              <option value="">All</option>
              {EVENT_TYPES.map((t) => (
                <option value={t} selected={t === p.type}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="actorKind">Actor kind</label>
            <select id="actorKind" name="actorKind">
              <option value="">All</option>
              {ACTOR_KINDS.map((k) => (
                <option value={k} selected={k === p.actorKind}>
                  {k}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div class="grid">
          <div>
            <label for="actorId">Actor id</label>
            <input id="actorId" name="actorId" value={p.actorId ?? ''} maxlength={200} />
          </div>
          <div>
            <label for="since">Since (ISO 8601, e.g. 2026-01-31)</label>
            <input id="since" name="since" value={p.since ?? ''} maxlength={40} />
          </div>
          <div>
            <label for="until">Until</label>
            <input id="until" name="until" value={p.until ?? ''} maxlength={40} />
          </div>
        </div>
        <button type="submit">Filter</button>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Type</th>
            <th scope="col">Company</th>
            <th scope="col">Actor</th>
            <th scope="col">Target</th>
            <th scope="col">Client</th>
          </tr>
        </thead>
        <tbody>
          {page.events.map((e) => (
            <tr>
              <td>
                <Time at={e.occurredAt} />
              </td>
              <td>{e.type}</td>
              <td>{e.companyCode ?? ''}</td>
              <td>
                {e.actor.kind}
                {e.actor.id !== null && ` ${e.actor.id}`}
              </td>
              <td>
                {e.target.kind} {e.target.id}
              </td>
              <td>{e.clientIp ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.events.length === 0 && <p>No events.</p>}
      {next && (
        <nav aria-label="Pages">
          <a href={next}>Older events</a>
        </nav>
      )}
    </Layout>
  );
}

/** The filters that are set, for links. */
const strip = (p: AuditParams): Record<string, string> =>
  Object.fromEntries(Object.entries(p).filter(([k, v]) => k !== 'before' && typeof v === 'string' && v !== ''));

export async function auditRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  app.get('/audit', async (req, reply) => {
    const p = fieldsOf(req.query, AUDIT_FIELDS);
    const companies = await services.companies.list();
    const company = p.company ? companies.find((c) => c.code === p.company) : undefined;
    if (p.company && !company) throw notFound('COMPANY_NOT_FOUND', `no company with code "${p.company.slice(0, 64)}"`);
    if (p.type && !isEventType(p.type)) throw invalid('INVALID_TYPE', 'unknown event type');
    if (p.actorKind && !(ACTOR_KINDS as readonly string[]).includes(p.actorKind)) throw invalid('INVALID_ACTOR', 'unknown actor kind');
    if (p.before && !/^\d{1,15}$/.test(p.before)) throw invalid('INVALID_PAGE', 'before must be an event id');
    const page = await services.audit.list({
      ...(company && { companyId: company.id }),
      ...(p.type && isEventType(p.type) && { types: [p.type] }),
      ...(p.actorKind && { actorKind: p.actorKind as Actor['kind'] }),
      ...(p.actorId && { actorId: p.actorId }),
      ...(p.since && { since: p.since }),
      ...(p.until && { until: p.until }),
      ...(p.before && { before: Number(p.before) }),
      limit: PAGE_SIZE,
    });
    return sendPage(reply, <AuditView ctx={contextOf(req, reply)} page={page} companies={companies} p={p} />);
  });
}
