/** A console client for HTTP-level tests: keeps cookies like a browser and reads each page's CSRF token. */
import type { Caller, Reply } from '../fixtures/http.js';

export class ConsoleClient {
  /** The cookies the console set, by name: value and the attributes of the Set-Cookie that set it. */
  readonly cookies = new Map<string, { value: string; attributes: string }>();
  /** The CSRF token of the last page read. */
  csrf = '';

  constructor(
    private readonly call: () => Caller,
    private readonly headers: Record<string, string> = {},
  ) {}

  private cookieHeader(): Record<string, string> {
    const jar = [...this.cookies].filter(([, c]) => c.value !== '').map(([n, c]) => `${n}=${c.value}`);
    return jar.length > 0 ? { cookie: jar.join('; ') } : {};
  }

  private keep(r: Reply): Reply {
    for (const line of r.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const expired = /max-age=0|expires=thu, 01 jan 1970/i.test(line);
      this.cookies.set(name, { value: expired ? '' : decodeURIComponent(pair.slice(i + 1)), attributes: attrs.join(';') });
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(r.text)?.[1];
    if (token) this.csrf = token;
    return r;
  }

  async get(path: string): Promise<Reply> {
    return this.keep(await this.call()('GET', path, { headers: { ...this.headers, ...this.cookieHeader() } }));
  }

  /**
   * Posts a form; `_csrf` is the last page's token unless `fields` sets it (null: no token at all).
   * A list sends its field once per value (`code=a&code=b`), as a form with two inputs of one name does.
   */
  async post(path: string, fields: Record<string, string | readonly string[] | null> = {}): Promise<Reply> {
    const form = new URLSearchParams();
    const all = { _csrf: this.csrf, ...fields };
    for (const [k, v] of Object.entries(all)) for (const one of v === null ? [] : typeof v === 'string' ? [v] : v) form.append(k, one);
    return this.keep(
      await this.call()('POST', path, {
        headers: { ...this.headers, ...this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      }),
    );
  }

  /** Posts a JSON body with the session's cookies; `_csrf` is the last page's token unless `value` sets it. */
  async postJson(path: string, value: Record<string, unknown>): Promise<Reply> {
    return this.keep(
      await this.call()('POST', path, {
        headers: { ...this.headers, ...this.cookieHeader() },
        json: { _csrf: this.csrf, ...value },
      }),
    );
  }

  async login(email: string, password: string): Promise<Reply> {
    await this.get('/admin/login');
    return this.post('/admin/login', { email, password });
  }
}
