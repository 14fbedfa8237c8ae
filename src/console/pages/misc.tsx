/** Accounts (Chatwoot) and their members; the mail outbox by status, with a retry of a failed message. */
import type { FastifyInstance } from 'fastify';
import type { OutboxStatus } from '../../store/schema.js';
import { invalid, notFound } from '../../identity/errors.js';
import type { Services } from '../../services.js';
import { fieldsOf } from '../form.js';
import { contextOf, sendPage } from '../http.js';
import { ActionButton, DataTable, Layout, Notice, Pager, SelectFilterForm, Time } from '../ui.js';

const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'sending', 'sent', 'failed', 'cancelled'];

export async function miscRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  app.get('/accounts', async (req, reply) => {
    const query = fieldsOf(req.query, ['company', 'page']);
    const companies = await services.companies.list();
    const company = query.company ? companies.find((c) => c.code === query.company) : undefined;
    if (query.company && !company) throw notFound('COMPANY_NOT_FOUND', 'no such company');
    const page = query.page && /^\d{1,6}$/.test(query.page) ? Math.max(1, Number(query.page)) : 1;
    const hits = await services.userAdmin.accounts({ companyId: company?.id, page });
    const ctx = contextOf(req, reply);
    return sendPage(
      reply,
      <Layout ctx={ctx} title="Accounts">
        <SelectFilterForm
          action="/admin/accounts"
          id="company"
          label="Company"
          all="All companies"
          options={companies.map((c) => [c.code, c.code])}
          selected={company?.code}
        />
        <DataTable
          columns={['Id', 'Name', 'Company', 'Status', 'Members']}
          rows={hits.rows}
          cells={(a) => (
            <>
              <td>{a.id}</td>
              <td>
                <a href={`/admin/accounts/${a.id}`}>{a.name}</a>
              </td>
              <td>{a.company_code}</td>
              <td>{a.status}</td>
              <td>{a.members}</td>
            </>
          )}
        />
        <Pager base="/admin/accounts" params={{ company: company?.code ?? '' }} page={page} more={hits.more} />
      </Layout>,
    );
  });

  app.get<{ Params: { id: string } }>('/accounts/:id', async (req, reply) => {
    if (!/^\d{1,15}$/.test(req.params.id)) throw notFound('ACCOUNT_NOT_FOUND', 'no such account');
    const members = await services.userAdmin.accountMembers(Number(req.params.id));
    const ctx = contextOf(req, reply);
    return sendPage(
      reply,
      <Layout ctx={ctx} title={`Account ${req.params.id}: members`}>
        {members.length === 0 && <p>No members.</p>}
        <DataTable
          columns={['User', 'Name', 'Role', 'Since']}
          rows={members}
          cells={(m) => (
            <>
              <td>
                <a href={`/admin/users/${m.userId}`}>{m.email}</a>
              </td>
              <td>{m.name}</td>
              <td>{m.role}</td>
              <td>
                <Time at={m.createdAt} />
              </td>
            </>
          )}
        />
      </Layout>,
    );
  });

  const outboxPage = async (status: string | undefined, notice?: string) => {
    if (status && !(OUTBOX_STATUSES as readonly string[]).includes(status))
      throw invalid('INVALID_STATUS', `status must be one of ${OUTBOX_STATUSES.join(', ')}`);
    return {
      status: status as OutboxStatus | undefined,
      rows: await services.outbox.list({ ...(status && { status: status as OutboxStatus }), limit: 100 }),
      notice,
    };
  };

  app.get('/outbox', async (req, reply) => {
    const data = await outboxPage(fieldsOf(req.query, ['status']).status || undefined);
    const ctx = contextOf(req, reply);
    return sendPage(
      reply,
      <Layout ctx={ctx} title="Mail outbox">
        {data.notice && <Notice kind="ok">{data.notice}</Notice>}
        <SelectFilterForm action="/admin/outbox" id="status" label="Status" all="All" options={OUTBOX_STATUSES.map((s) => [s, s])} selected={data.status} />
        <DataTable
          columns={['Id', 'Template', 'To', 'Status', 'Attempts', 'Queued', 'Last error', 'Action']}
          rows={data.rows}
          cells={(m) => (
            <>
              <td>{m.id}</td>
              <td>{m.template}</td>
              <td>{m.to}</td>
              <td>{m.status}</td>
              <td>{m.attempts}</td>
              <td>
                <Time at={m.createdAt} />
              </td>
              <td>{m.lastError ?? ''}</td>
              <td>{m.status === 'failed' && <ActionButton ctx={ctx} action={`/admin/outbox/${m.id}/retry`} label={`Retry ${m.id}`} />}</td>
            </>
          )}
        />
      </Layout>,
    );
  });

  app.post<{ Params: { id: string } }>('/outbox/:id/retry', async (req, reply) => {
    if (!/^\d{1,15}$/.test(req.params.id)) throw notFound('MAIL_NOT_FOUND', 'no such message');
    await services.outbox.retry(Number(req.params.id), req.operator!.acting);
    return reply.redirect('/admin/outbox?status=pending', 303);
  });
}
