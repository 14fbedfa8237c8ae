/** Users (search across or within companies; a user's page and what an operator does to them) and widget users (search; rooms). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren, VNode } from 'preact';
import type { Company } from '../../identity/companies.js';
import type { Hits, UserDetail, UserView, WidgetUserView } from '../../identity/user-admin.js';
import type { RoomRow } from '../../store/schema.js';
import type { Services } from '../../services.js';
import { notFound } from '../../identity/errors.js';
import { fieldsOf } from '../form.js';
import { contextOf, sendPage } from '../http.js';
import { ActionButton, DataTable, FieldTable, FilterSelect, Layout, Notice, Pager, Time, yesNo, type PageContext } from '../ui.js';

const SEARCH_FIELDS = ['q', 'company', 'page'] as const;
type SearchParams = { [K in (typeof SEARCH_FIELDS)[number]]?: string };

const pageOf = (p: string | undefined) => (p && /^\d{1,6}$/.test(p) ? Math.max(1, Number(p)) : 1);

function SearchForm({ action, label, q, companies, company }: { action: string; label: string; q: string; companies: Company[]; company: string }): VNode {
  return (
    <form method="get" action={action} role="search">
      <div class="grid">
        <div>
          <label for="q">{label}</label>
          {/* With htmx, results follow the typing (the same page, its results swapped in); without it, the Search button. */}
          <input
            id="q"
            name="q"
            type="search"
            value={q}
            maxlength={200}
            hx-get={action}
            hx-include="closest form"
            hx-trigger="input changed delay:300ms, search"
            hx-target="#results"
            hx-select="#results"
            hx-swap="outerHTML"
            hx-push-url="true"
          />
        </div>
        <div>
          <FilterSelect id="company" label="Company" all="All companies" options={companies.map((c) => [c.code, `${c.code} (${c.name})`])} selected={company} />
        </div>
      </div>
      <button type="submit">Search</button>
    </form>
  );
}

/** A search page: the search form, then the hits (the part htmx swaps as the operator types) and their pages. */
function SearchPage<T>({
  ctx,
  title,
  action,
  label,
  none,
  columns,
  cells,
  hits,
  companies,
  p,
}: {
  ctx: PageContext;
  title: string;
  action: string;
  label: string;
  /** Said when nothing is found. */
  none: string;
  columns: string[];
  cells: (row: T) => ComponentChildren;
  hits: Hits<T>;
  companies: Company[];
  p: Required<SearchParams>;
}): VNode {
  return (
    <Layout ctx={ctx} title={title}>
      <SearchForm action={action} label={label} q={p.q} companies={companies} company={p.company} />
      <div id="results" aria-live="polite">
        <DataTable columns={columns} rows={hits.rows} cells={cells} />
        {hits.rows.length === 0 && <p>{none}</p>}
        <Pager base={action} params={{ q: p.q, company: p.company }} page={Number(p.page)} more={hits.more} />
      </div>
    </Layout>
  );
}

const UsersPage = ({ ctx, hits, companies, p }: { ctx: PageContext; hits: Hits<UserView>; companies: Company[]; p: Required<SearchParams> }): VNode => (
  <SearchPage
    ctx={ctx}
    title="Users"
    action="/admin/users"
    label="Email or name"
    none="No users found."
    columns={['Email', 'Name', 'Company', 'Verified', 'Active']}
    cells={(u) => (
      <>
        <td>
          <a href={`/admin/users/${u.id}`}>{u.email}</a>
        </td>
        <td>{[u.name, u.lastName].filter(Boolean).join(' ')}</td>
        <td>{u.companyCode}</td>
        <td>{yesNo(u.emailVerified)}</td>
        <td>{yesNo(u.active)}</td>
      </>
    )}
    hits={hits}
    companies={companies}
    p={p}
  />
);

function UserPage({ ctx, d, notice }: { ctx: PageContext; d: UserDetail; notice?: string }): VNode {
  const u = d.user;
  const base = `/admin/users/${u.id}`;
  return (
    <Layout ctx={ctx} title={`User ${u.email}`}>
      {notice && <Notice kind="ok">{notice}</Notice>}
      <h2>Profile</h2>
      <FieldTable
        fields={[
          ['Id', String(u.id)],
          ['Email', u.email],
          ['Name', u.name],
          ['Last name', u.lastName ?? ''],
          ['Display name', u.displayName ?? ''],
          ['Company', u.companyCode],
          ['Email verified', yesNo(u.emailVerified)],
          ['Active', yesNo(u.active)],
          ['Created through', u.createdVia],
          ['Created', <Time at={u.createdAt} />],
        ]}
      />
      <h2>Accounts and roles</h2>
      {d.memberships.length === 0 ? (
        <p>Member of no account.</p>
      ) : (
        <ul>
          {d.memberships.map((m) => (
            <li>
              {m.accountName} (account {m.accountId}): {m.role}
            </li>
          ))}
        </ul>
      )}
      <h2>Sessions</h2>
      {d.sessions.length === 0 ? (
        <p>No live sessions.</p>
      ) : (
        <ul>
          {d.sessions.map((s) => (
            <li>
              opened <Time at={s.createdAt} />, expires <Time at={s.expiresAt} />
            </li>
          ))}
        </ul>
      )}
      <h2>Actions</h2>
      <p>
        {u.active ? (
          <ActionButton ctx={ctx} action={`${base}/deactivate`} label="Deactivate" danger confirm={`Deactivate ${u.email}? Every login is refused.`} />
        ) : (
          <ActionButton ctx={ctx} action={`${base}/reactivate`} label="Reactivate" />
        )}{' '}
        <ActionButton ctx={ctx} action={`${base}/end-sessions`} label="End sessions" />{' '}
        <ActionButton ctx={ctx} action={`${base}/reset-password`} label="Send password reset mail" />{' '}
        <ActionButton ctx={ctx} action={`${base}/delete`} label="Delete" danger confirm={`Delete ${u.email} for good?`} />
      </p>
    </Layout>
  );
}

const WidgetUsersPage = ({
  ctx,
  hits,
  companies,
  p,
}: {
  ctx: PageContext;
  hits: Hits<WidgetUserView>;
  companies: Company[];
  p: Required<SearchParams>;
}): VNode => (
  <SearchPage
    ctx={ctx}
    title="Widget users"
    action="/admin/widget-users"
    label="External id or name"
    none="No widget users found."
    columns={['External id', 'Names', 'Company', 'Bot', 'Created']}
    cells={(w) => (
      <>
        <td>
          <a href={`/admin/widget-users/${w.id}`}>{w.referenceId}</a>
        </td>
        <td>{w.names}</td>
        <td>{w.companyCode}</td>
        <td>
          <code>{w.botId}</code>
        </td>
        <td>
          <Time at={w.createdAt} />
        </td>
      </>
    )}
    hits={hits}
    companies={companies}
    p={p}
  />
);

function WidgetUserPage({ ctx, user, rooms }: { ctx: PageContext; user: WidgetUserView; rooms: RoomRow[] }): VNode {
  return (
    <Layout ctx={ctx} title={`Widget user ${user.referenceId}`}>
      <FieldTable
        fields={[
          ['External id', user.referenceId],
          ['Names', user.names],
          ['Legal id', user.legalId ?? ''],
          ['Company', user.companyCode],
          ['Bot', user.botId],
        ]}
      />
      <h2>Rooms</h2>
      <DataTable
        columns={['Room', 'Kind', 'Name', 'Created']}
        rows={rooms}
        cells={(r) => (
          <>
            <td>
              <code>{r.id}</code>
            </td>
            <td>{r.kind}</td>
            <td>{r.name}</td>
            <td>
              <Time at={r.created_at} />
            </td>
          </>
        )}
      />
    </Layout>
  );
}

const userId = (raw: string): number => {
  if (!/^\d{1,15}$/.test(raw)) throw notFound('USER_NOT_FOUND', `no user ${raw.slice(0, 32)}`);
  return Number(raw);
};

export async function userRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const params = async (raw: unknown) => {
    const query = fieldsOf(raw, SEARCH_FIELDS);
    const companies = await services.companies.list();
    const company = query.company ? companies.find((c) => c.code === query.company) : undefined;
    if (query.company && !company) throw notFound('COMPANY_NOT_FOUND', `no company with code "${query.company.slice(0, 64)}"`);
    const p = { q: (query.q ?? '').trim(), company: company?.code ?? '', page: String(pageOf(query.page)) };
    return { companies, p, search: { text: p.q, companyId: company?.id, page: Number(p.page) } };
  };

  app.get('/users', async (req, reply) => {
    const { companies, p, search } = await params(req.query);
    return sendPage(reply, <UsersPage ctx={contextOf(req, reply)} hits={await services.userAdmin.search(search)} companies={companies} p={p} />);
  });

  app.get<{ Params: { id: string } }>('/users/:id', async (req, reply) =>
    sendPage(reply, <UserPage ctx={contextOf(req, reply)} d={await services.userAdmin.get(userId(req.params.id))} />),
  );

  const show = async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, notice: string) =>
    sendPage(reply, <UserPage ctx={contextOf(req, reply)} d={await services.userAdmin.get(userId(req.params.id))} notice={notice} />);

  app.post<{ Params: { id: string } }>('/users/:id/deactivate', async (req, reply) => {
    await services.userAdmin.deactivate(userId(req.params.id), req.operator!.acting);
    return show(req, reply, 'Deactivated: every login is refused and every session ended.');
  });
  app.post<{ Params: { id: string } }>('/users/:id/reactivate', async (req, reply) => {
    await services.userAdmin.reactivate(userId(req.params.id), req.operator!.acting);
    return show(req, reply, 'Reactivated.');
  });
  app.post<{ Params: { id: string } }>('/users/:id/end-sessions', async (req, reply) => {
    await services.userAdmin.endSessions(userId(req.params.id), req.operator!.acting);
    return show(req, reply, 'Every session ended.');
  });
  app.post<{ Params: { id: string } }>('/users/:id/reset-password', async (req, reply) => {
    await services.userAdmin.sendPasswordReset(userId(req.params.id), req.operator!.acting);
    return show(req, reply, 'A password reset mail is queued.');
  });
  app.post<{ Params: { id: string } }>('/users/:id/delete', async (req, reply) => {
    await services.userAdmin.delete(userId(req.params.id), req.operator!.acting);
    return reply.redirect('/admin/users', 303);
  });

  app.get('/widget-users', async (req, reply) => {
    const { companies, p, search } = await params(req.query);
    return sendPage(
      reply,
      <WidgetUsersPage ctx={contextOf(req, reply)} hits={await services.userAdmin.searchWidgetUsers(search)} companies={companies} p={p} />,
    );
  });

  app.get<{ Params: { id: string } }>('/widget-users/:id', async (req, reply) => {
    if (!/^\d{1,15}$/.test(req.params.id)) throw notFound('WIDGET_USER_NOT_FOUND', 'no such widget user');
    const { user, rooms } = await services.userAdmin.widgetUser(Number(req.params.id));
    return sendPage(reply, <WidgetUserPage ctx={contextOf(req, reply)} user={user} rooms={rooms} />);
  });
}
