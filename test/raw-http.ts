/** A raw TCP client for HTTP tests that need to control every byte and see the socket close. */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class RawClient {
  data = '';
  /** Resolves when the socket is closed (by either side). */
  readonly closed: Promise<void>;
  isClosed = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.data += chunk;
      this.wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static open(url: string): Promise<RawClient> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: u.hostname, port: Number(u.port) }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  write(text: string): void {
    if (!this.isClosed) this.socket.write(text);
  }

  /** Sends `text` one byte every `everyMs` until it is all sent or the socket closes. */
  async trickle(text: string, everyMs: number): Promise<void> {
    for (const ch of text) {
      if (this.isClosed) return;
      this.write(ch);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  /** The next complete response (by Content-Length), removed from the buffer; rejects if the socket closes first. */
  async response(timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.data);
      if (parsed) {
        this.data = this.data.slice(parsed.length);
        return parsed.response;
      }
      if (this.isClosed) throw new Error(`socket closed before a complete response: ${JSON.stringify(this.data.slice(0, 200))}`);
      const wait = deadline - Date.now();
      if (wait <= 0) throw new Error(`no complete response within ${timeoutMs} ms: ${JSON.stringify(this.data.slice(0, 200))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Whether the socket is closed within `ms`. */
  async closesWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([this.closed.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
    clearTimeout(timer);
    return closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function parseResponse(data: string): { response: RawResponse; length: number } | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = data.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  // Bodies here are ASCII JSON, so characters are bytes.
  if (data.length < end + 4 + length) return undefined;
  return {
    response: { status: Number(statusLine.split(' ')[1]), headers, body: data.slice(end + 4, end + 4 + length) },
    length: end + 4 + length,
  };
}

/** The head of a request with a JSON body of `length` bytes. */
export const jsonHead = (method: string, path: string, length: number, extra: Record<string, string> = {}) =>
  `${method} ${path} HTTP/1.1\r\nHost: roster.test\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${Object.entries(extra)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
