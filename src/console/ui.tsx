/**
 * The console's page frame and small parts, rendered on the server with Preact
 * (preact-render-to-string): every text is escaped by the renderer, so nothing a user, a company or
 * an API wrote can become markup.
 */
import type { ComponentChildren, VNode } from 'preact';
import { render } from 'preact-render-to-string';

/** What every page needs from its request: the CSRF token for its forms and who is signed in. */
export interface PageContext {
  csrf: string;
  /** The operator's email; undefined on the login page. */
  operator: string | undefined;
  /** The current path, to mark the navigation. */
  path: string;
}

const NAV: Array<[string, string]> = [
  ['/admin', 'Home'],
  ['/admin/companies', 'Companies'],
  ['/admin/users', 'Users'],
  ['/admin/widget-users', 'Widget users'],
  ['/admin/accounts', 'Accounts'],
  ['/admin/audit', 'Audit'],
  ['/admin/outbox', 'Mail outbox'],
];

function current(path: string, href: string): boolean {
  return href === '/admin' ? path === '/admin' || path === '/admin/' : path === href || path.startsWith(`${href}/`);
}

export function Layout({ ctx, title, children }: { ctx: PageContext; title: string; children: ComponentChildren }): VNode {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}' />
        <title>{`${title} · roster console`}</title>
        <link rel="stylesheet" href="/admin/assets/pico.min.css" />
        <link rel="stylesheet" href="/admin/assets/console.css" />
        <script src="/admin/assets/htmx.min.js" defer></script>
        <script src="/admin/assets/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="container">
          <nav aria-label="Main">
            <ul>
              <li>
                <strong>roster console</strong>
              </li>
            </ul>
            {ctx.operator !== undefined && (
              <ul>
                {NAV.map(([href, label]) => (
                  <li>
                    <a href={href} aria-current={current(ctx.path, href) ? 'page' : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
                <li>
                  <form method="post" action="/admin/logout" class="inline">
                    <Csrf ctx={ctx} />
                    <button type="submit" class="secondary outline" title={`Signed in as ${ctx.operator}`}>
                      Log out
                    </button>
                  </form>
                </li>
              </ul>
            )}
          </nav>
        </header>
        <main id="main" class="container">
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  );
}

/** The hidden CSRF field every form carries. */
export const Csrf = ({ ctx }: { ctx: PageContext }): VNode => <input type="hidden" name="_csrf" value={ctx.csrf} />;

/** A form posting to `action` with one button (revoke, deactivate, ...), CSRF included. */
export function ActionButton({
  ctx,
  action,
  label,
  danger,
  confirm,
  fields = {},
}: {
  ctx: PageContext;
  action: string;
  label: string;
  danger?: boolean;
  confirm?: string;
  fields?: Record<string, string>;
}): VNode {
  return (
    <form method="post" action={action} class="inline" data-confirm={confirm}>
      <Csrf ctx={ctx} />
      {Object.entries(fields).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      <button type="submit" class={danger ? 'secondary' : undefined}>
        {label}
      </button>
    </form>
  );
}

/** A notice above a page's content (role=status, or role=alert for errors). */
export const Notice = ({ kind, children }: { kind: 'ok' | 'error'; children: ComponentChildren }): VNode => (
  <article class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
    {children}
  </article>
);

/** A secret shown once, with a copy button (console.js; without JavaScript the text is there to select). */
export function OnceSecret({ label, value, id }: { label: string; value: string; id: string }): VNode {
  return (
    <Notice kind="ok">
      <p>
        <strong>{label}</strong> (shown only now; copy it before leaving this page):
      </p>
      <p>
        <code id={id} data-secret>
          {value}
        </code>{' '}
        <button type="button" class="outline copy" data-copy={id} hidden>
          Copy
        </button>
      </p>
    </Notice>
  );
}

/**
 * A table of `rows` under column headings: `cells` gives a row's cells (its `<td>`s). An empty
 * list is an empty body: each page says below it what "none" means there.
 */
export function DataTable<T>({ columns, rows, cells }: { columns: string[]; rows: readonly T[]; cells: (row: T) => ComponentChildren }): VNode {
  return (
    <table>
      <thead>
        <tr>
          {columns.map((c) => (
            <th scope="col">{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>{cells(r)}</tr>
        ))}
      </tbody>
    </table>
  );
}

/** A record's fields, a row each: the name as the row's heading, then the value. */
export function FieldTable({ fields }: { fields: Array<[string, ComponentChildren]> }): VNode {
  return (
    <table>
      <tbody>
        {fields.map(([name, value]) => (
          <tr>
            <th scope="row">{name}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A labelled select of a filter (`id` is also its field name): first "all" (the empty value), then the options as [value, text]. */
export function FilterSelect({
  id,
  label,
  all,
  options,
  selected,
}: {
  id: string;
  label: string;
  all: string;
  options: Array<[string, string]>;
  selected: string | undefined;
}): VNode {
  return (
    <>
      <label for={id}>{label}</label>
      <select id={id} name={id}>
        <option value="">{all}</option>
        {options.map(([value, text]) => (
          <option value={value} selected={value === selected}>
            {text}
          </option>
        ))}
      </select>
    </>
  );
}

/** A list page's filter of one select: a GET form to `action` with a Show button. */
export const SelectFilterForm = ({ action, ...select }: { action: string } & Parameters<typeof FilterSelect>[0]): VNode => (
  <form method="get" action={action}>
    <FilterSelect {...select} />
    <button type="submit">Show</button>
  </form>
);

/** Previous and next page links of a list: `params` are its filters, kept in both. */
export function Pager({ base, params, page, more }: { base: string; params: Record<string, string>; page: number; more: boolean }): VNode {
  const link = (p: number) => `${base}?${new URLSearchParams({ ...params, page: String(p) }).toString()}`;
  return (
    <nav aria-label="Pages">
      <ul>
        {page > 1 && (
          <li>
            <a href={link(page - 1)}>Previous page</a>
          </li>
        )}
        {more && (
          <li>
            <a href={link(page + 1)}>Next page</a>
          </li>
        )}
      </ul>
    </nav>
  );
}

export const Time = ({ at }: { at: string | null | undefined }): VNode =>
  at ? <time datetime={at}>{at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time> : <span>-</span>;

export const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

export const html = (node: VNode): string => `<!doctype html>${render(node)}`;
