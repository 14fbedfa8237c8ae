/** Companies: list, create, edit; a company's credentials of every kind (create, shown once; revoke) and its webhooks. */
import type { FastifyInstance } from 'fastify';
import type { VNode } from 'preact';
import type { Company } from '../../identity/companies.js';
import type { CredentialKind, CredentialSummary } from '../../identity/credentials.js';
import type { Services } from '../../services.js';
import type { Delivery, Webhook } from '../../events/webhooks.js';
import { invalid } from '../../identity/errors.js';
import { fieldsOf } from '../form.js';
import { contextOf, sendPage } from '../http.js';
import { ActionButton, Csrf, Layout, Notice, OnceSecret, Time, type PageContext } from '../ui.js';

const KINDS: Array<{ kind: CredentialKind; title: string; what: string }> = [
  { kind: 'widget_client', title: 'Jelou clients', what: 'Jelou widget API client (id and secret)' },
  { kind: 'api_token', title: 'API tokens', what: 'Plazbot API token' },
  { kind: 'platform_app', title: 'Platform apps', what: 'Chatwoot platform app token' },
  { kind: 'scim_token', title: 'SCIM tokens', what: 'SCIM token' },
];

const isKind = (k: string): k is CredentialKind => KINDS.some((x) => x.kind === k);

/** What was just made, to show once. */
type Created = { label: string; lines: Array<[string, string]> } | undefined;

function CompaniesPage({ ctx, companies }: { ctx: PageContext; companies: Company[] }): VNode {
  return (
    <Layout ctx={ctx} title="Companies">
      <table>
        <thead>
          <tr>
            <th scope="col">Code</th>
            <th scope="col">Name</th>
            <th scope="col">Email verification</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {companies.map((c) => (
            <tr>
              <td>
                <a href={`/admin/companies/${encodeURIComponent(c.code)}`}>{c.code}</a>
              </td>
              <td>{c.name}</td>
              <td>{c.requireEmailVerification ? 'required' : 'not required'}</td>
              <td>
                <Time at={c.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>New company</h2>
      <form method="post" action="/admin/companies">
        <Csrf ctx={ctx} />
        <label for="code">Code (letters, digits, - and _)</label>
        <input id="code" name="code" required maxlength={64} pattern="[A-Za-z0-9][A-Za-z0-9_\-]*" />
        <label for="name">Name</label>
        <input id="name" name="name" required maxlength={255} />
        <label for="requireEmailVerification">
          <input id="requireEmailVerification" name="requireEmailVerification" type="checkbox" value="1" /> Users must verify their email
        </label>
        <button type="submit">Create company</button>
      </form>
    </Layout>
  );
}

interface CompanyData {
  company: Company;
  origins: string[];
  credentials: Array<{ kind: CredentialKind; rows: CredentialSummary[] }>;
  webhooks: Webhook[];
  deliveries: Delivery[];
}

function CompanyPage({ ctx, data, created, notice }: { ctx: PageContext; data: CompanyData; created?: Created; notice?: string }): VNode {
  const { company: c } = data;
  const base = `/admin/companies/${encodeURIComponent(c.code)}`;
  return (
    <Layout ctx={ctx} title={`Company ${c.code}`}>
      {notice && <Notice kind="ok">{notice}</Notice>}
      {created && (
        <section aria-label="Created credential">
          {created.lines.map(([label, value], i) => (
            <OnceSecret label={`${created.label}: ${label}`} value={value} id={`secret-${i}`} />
          ))}
        </section>
      )}
      <h2>Settings</h2>
      <form method="post" action={base}>
        <Csrf ctx={ctx} />
        <label for="name">Name</label>
        <input id="name" name="name" required maxlength={255} value={c.name} />
        <label for="requireEmailVerification">
          <input id="requireEmailVerification" name="requireEmailVerification" type="checkbox" value="1" checked={c.requireEmailVerification} /> Users must
          verify their email
        </label>
        <div class="grid">
          <div>
            <label for="passwordMinLength">Password minimum length</label>
            <input id="passwordMinLength" name="passwordMinLength" type="number" min={8} max={128} value={String(c.passwordPolicy.minLength)} />
          </div>
          <div>
            <label for="passwordMaxLength">Password maximum length</label>
            <input id="passwordMaxLength" name="passwordMaxLength" type="number" min={8} max={1024} value={String(c.passwordPolicy.maxLength)} />
          </div>
        </div>
        <label for="corsOrigins">CORS origins (one per line, e.g. https://shop.example.com)</label>
        <textarea id="corsOrigins" name="corsOrigins" rows={3}>
          {data.origins.join('\n')}
        </textarea>
        <button type="submit">Save settings</button>
      </form>

      <h2>Credentials</h2>
      {data.credentials.map(({ kind, rows }) => {
        const k = KINDS.find((x) => x.kind === kind)!;
        return (
          <section aria-labelledby={`h-${kind}`}>
            <h3 id={`h-${kind}`}>{k.title}</h3>
            <table>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">{kind === 'widget_client' ? 'Bot' : 'Name'}</th>
                  <th scope="col">Created</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr>
                    <td>
                      <code>{r.id}</code>
                    </td>
                    <td>{kind === 'widget_client' ? (r.botName ?? '') : (r.name ?? '')}</td>
                    <td>
                      <Time at={r.createdAt} />
                    </td>
                    <td>
                      {r.revokedAt ? (
                        <span>
                          revoked <Time at={r.revokedAt} />
                        </span>
                      ) : (
                        <ActionButton
                          ctx={ctx}
                          action={`${base}/credentials/${kind}/${encodeURIComponent(r.id)}/revoke`}
                          label={`Revoke ${r.id}`}
                          danger
                          confirm={`Revoke ${r.id}? Clients using it are refused at once.`}
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <form method="post" action={`${base}/credentials`}>
              <Csrf ctx={ctx} />
              <input type="hidden" name="kind" value={kind} />
              <label for={`name-${kind}`}>{kind === 'widget_client' ? 'Bot name (optional)' : 'Name (optional)'}</label>
              <input id={`name-${kind}`} name="name" maxlength={255} />
              <button type="submit">New {k.what}</button>
            </form>
          </section>
        );
      })}

      <h2>Webhooks</h2>
      {data.webhooks.length === 0 ? (
        <p>No webhook endpoints (add one with roster webhook add).</p>
      ) : (
        <ul>
          {data.webhooks.map((w) => (
            <li>
              <code>{w.id}</code> {w.url} ({w.eventTypes === null ? 'every event' : w.eventTypes.join(', ')})
            </li>
          ))}
        </ul>
      )}
      <h3>Recent deliveries</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Event</th>
            <th scope="col">URL</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {data.deliveries.map((d) => (
            <tr>
              <td>{d.id}</td>
              <td>
                {d.eventType} (event {d.eventId})
              </td>
              <td>{d.url}</td>
              <td>{d.status}</td>
              <td>{d.attempts}</td>
              <td>{d.lastStatusCode === null ? (d.lastError ?? '') : `HTTP ${d.lastStatusCode}`}</td>
              <td>{d.status !== 'sending' && <ActionButton ctx={ctx} action={`${base}/deliveries/${d.id}/redeliver`} label={`Redeliver ${d.id}`} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}

const lines = (text: string) =>
  text
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l !== '');

function whole(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d{1,4}$/.test(value.trim())) throw invalid('INVALID_NUMBER', `${field} must be a whole number`);
  return Number(value.trim());
}

export async function companyRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const load = async (code: string): Promise<CompanyData> => {
    const company = await services.companies.get(code);
    const [origins, credentials, webhooks, deliveries] = await Promise.all([
      services.corsOrigins.of(company.id),
      Promise.all(KINDS.map(async ({ kind }) => ({ kind, rows: await services.credentials.list(kind, company.code) }))),
      services.webhooks.list(company.code),
      services.webhooks.deliveries({ companyCode: company.code, limit: 20 }),
    ]);
    return { company, origins, credentials, webhooks, deliveries };
  };

  app.get('/companies', async (req, reply) => sendPage(reply, <CompaniesPage ctx={contextOf(req, reply)} companies={await services.companies.list()} />));

  app.post('/companies', async (req, reply) => {
    const form = fieldsOf(req.body, ['code', 'name', 'requireEmailVerification']);
    const c = await services.companies.create(
      { code: form.code ?? '', name: form.name ?? '', requireEmailVerification: form.requireEmailVerification === '1' },
      req.operator!.acting,
    );
    return reply.redirect(`/admin/companies/${encodeURIComponent(c.code)}`, 303);
  });

  app.get<{ Params: { code: string } }>('/companies/:code', async (req, reply) =>
    sendPage(reply, <CompanyPage ctx={contextOf(req, reply)} data={await load(req.params.code)} />),
  );

  app.post<{ Params: { code: string } }>('/companies/:code', async (req, reply) => {
    const form = fieldsOf(req.body, ['name', 'requireEmailVerification', 'passwordMinLength', 'passwordMaxLength', 'corsOrigins']);
    // Read as the form sends them; the service checks every value before it writes any.
    const minLength = whole(form.passwordMinLength, 'password minimum length');
    const maxLength = whole(form.passwordMaxLength, 'password maximum length');
    const { company } = await services.companySettings.save(
      req.params.code,
      {
        ...(form.name !== undefined && { name: form.name }),
        // An unticked checkbox is not sent.
        requireEmailVerification: form.requireEmailVerification === '1',
        passwordPolicy: { ...(minLength !== undefined && { minLength }), ...(maxLength !== undefined && { maxLength }) },
        // An emptied textarea is sent (and clears them); a form without the field leaves them as they are.
        ...(form.corsOrigins !== undefined && { corsOrigins: lines(form.corsOrigins) }),
      },
      req.operator!.acting,
    );
    return sendPage(reply, <CompanyPage ctx={contextOf(req, reply)} data={await load(company.code)} notice="Settings saved." />);
  });

  app.post<{ Params: { code: string } }>('/companies/:code/credentials', async (req, reply) => {
    const form = fieldsOf(req.body, ['kind', 'name']);
    const kind = form.kind ?? '';
    if (!isKind(kind)) throw invalid('INVALID_KIND', 'unknown credential kind');
    const name = form.name?.trim() || undefined;
    const acting = req.operator!.acting;
    let created: Created;
    if (kind === 'widget_client') {
      const c = await services.credentials.createWidgetClient({ companyCode: req.params.code, ...(name && { botName: name }) }, acting);
      created = {
        label: 'New Jelou client',
        lines: [
          ['client id', c.clientId],
          ['client secret', c.clientSecret],
        ],
      };
    } else {
      const t = await services.credentials.createToken(kind, { companyCode: req.params.code, ...(name && { name }) }, acting);
      created = { label: `New ${KINDS.find((k) => k.kind === kind)!.what}`, lines: [['token', t.token]] };
    }
    return sendPage(reply, <CompanyPage ctx={contextOf(req, reply)} data={await load(req.params.code)} created={created} />);
  });

  app.post<{ Params: { code: string; kind: string; id: string } }>('/companies/:code/credentials/:kind/:id/revoke', async (req, reply) => {
    const { code, kind, id } = req.params;
    if (!isKind(kind)) throw invalid('INVALID_KIND', 'unknown credential kind');
    await services.companies.get(code);
    await services.credentials.revoke(kind, id, req.operator!.acting);
    return sendPage(reply, <CompanyPage ctx={contextOf(req, reply)} data={await load(code)} notice={`Revoked ${id}.`} />);
  });

  app.post<{ Params: { code: string; id: string } }>('/companies/:code/deliveries/:id/redeliver', async (req, reply) => {
    const company = await services.companies.get(req.params.code);
    const id = /^\d{1,15}$/.test(req.params.id) ? Number(req.params.id) : 0;
    const d = await services.webhooks.redeliver(id, req.operator!.acting, company.id);
    return sendPage(reply, <CompanyPage ctx={contextOf(req, reply)} data={await load(company.code)} notice={`Delivery ${d.id} queued again.`} />);
  });
}
