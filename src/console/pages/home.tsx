/** The console's home: how many of each there are, and the service's health. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { contextOf, sendPage } from '../http.js';
import { Layout, Time } from '../ui.js';

export interface HealthCheck {
  name: string;
  check(): Promise<unknown>;
}

const HEALTH_TIMEOUT_MS = 2000;

async function probe(c: HealthCheck): Promise<{ name: string; ok: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      c.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), HEALTH_TIMEOUT_MS);
      }),
    ]);
    return { name: c.name, ok: true };
  } catch {
    return { name: c.name, ok: false };
  } finally {
    clearTimeout(timer);
  }
}

const LABELS: Record<string, string> = {
  companies: 'Companies',
  users: 'Users',
  widget_users: 'Widget users',
  accounts: 'Accounts',
  operators: 'Operators',
  events: 'Events',
};

export async function homeRoutes(app: FastifyInstance, { services, checks }: { services: Services; checks: HealthCheck[] }): Promise<void> {
  app.get('/', async (req, reply) => {
    const [counts, health, outbox, webhooks] = await Promise.all([
      services.userAdmin.counts(),
      Promise.all(checks.map(probe)),
      services.outbox.counts(),
      services.webhooks.counts(),
    ]);
    const ctx = contextOf(req, reply);
    return sendPage(
      reply,
      <Layout ctx={ctx} title="Home">
        <section class="counts" aria-label="Counts">
          {Object.entries(counts).map(([k, n]) => (
            <article>
              <strong>{n}</strong>
              {LABELS[k] ?? k}
            </article>
          ))}
        </section>
        <h2>Health</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Dependency</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {health.map((h) => (
              <tr>
                <td>{h.name}</td>
                <td>{h.ok ? 'ok' : 'unavailable'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>Queues</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Status</th>
              <th scope="col">Messages</th>
            </tr>
          </thead>
          <tbody>
            {outbox.map((o) => (
              <tr>
                <td>mail outbox</td>
                <td>{o.status}</td>
                <td>{o.n}</td>
              </tr>
            ))}
            {outbox.length + webhooks.byStatus.length === 0 && (
              <tr>
                <td colspan={3}>Nothing queued: no mail and no webhook delivery yet.</td>
              </tr>
            )}
            {webhooks.byStatus.map((w) => (
              <tr>
                <td>webhook deliveries</td>
                <td>{w.status}</td>
                <td>{w.n}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {webhooks.oldestWaitingAt && (
          <p>
            Oldest webhook delivery waiting since <Time at={webhooks.oldestWaitingAt} />.
          </p>
        )}
      </Layout>,
    );
  });
}
