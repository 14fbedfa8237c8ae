/**
 * What Node's HTTP parser refuses before any route runs: headers over its size limit (431), a
 * request it cannot parse (400), a request not received in time (408). Fastify answers those with
 * a JSON body of its own (its `clientErrorHandler`); roster answers them, as every other error, in
 * the format of the API the request line names, with the request id and the security headers
 * every answer carries, and closes the connection (the parser cannot go on after an error).
 *
 * Which API: the path of the request line at the start of the bytes the parser refused
 * (`rawPacket`). Where there is none (a timeout; headers that overflowed in a later read than the
 * request line's), the answer is a generic `{error, message, statusCode}` body, the shape of
 * Fastify's own; so too for a request pipelined behind another in the same read (the refused
 * bytes begin with the earlier request).
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { Classified } from './errors.js';
import { REQUEST_ID_HEADER } from '../../infra/request-id.js';

/** How long a refused connection may still deliver the client's bytes after the answer (discarded). */
const LINGER_MS = 1000;

/** How one API renders an error, for the requests whose path starts with `prefix`. */
export interface ClientErrorFormat {
  prefix: string;
  contentType: string;
  render: (c: Classified) => unknown;
}

/** Node's parser error: its code, and the bytes it was reading when it failed (not typed as a Buffer by Fastify). */
type ParserError = Error & { code?: string; rawPacket?: unknown };

/** What went wrong, in words a client can act on; the status Node's parser error means. */
export function classifyClientError(err: ParserError): Classified {
  const invalid = (code: string, message: string): Classified => ({ status: 400, kind: 'invalid', code, message, fields: [] });
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, kind: 'invalid', code: 'REQUEST_TIMEOUT', message: 'The request was not received in time', fields: [] };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, kind: 'invalid', code: 'HEADERS_TOO_LARGE', message: `The request's headers are larger than ${maxHeaderSize} bytes`, fields: [] };
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return invalid('INVALID_CONTENT_LENGTH', 'Content-Length is not valid');
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return invalid('INVALID_TRANSFER_ENCODING', 'The chunked body or its Transfer-Encoding is not valid');
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return invalid('MALFORMED_HEADERS', 'A header line is malformed');
    case 'HPE_INVALID_METHOD':
    case 'HPE_INVALID_URL':
    case 'HPE_INVALID_VERSION':
      return invalid('MALFORMED_REQUEST_LINE', 'The request line is malformed');
    default:
      return invalid('BAD_REQUEST', 'The request is not valid HTTP/1.1');
  }
}

/** The path of the request line `packet` starts with (a method, a space, an origin-form target). */
export function requestPathOf(packet: unknown): string | undefined {
  if (!Buffer.isBuffer(packet)) return undefined;
  const line = /^[A-Z]{3,10} (\/[^\s?#]*)/.exec(packet.subarray(0, 2048).toString('latin1'));
  return line?.[1];
}

/** Whether `packet` starts with a HEAD request line: its answer carries the headers only (RFC 9110, 9.3.2). */
export function isHeadRequest(packet: unknown): boolean {
  return Buffer.isBuffer(packet) && packet.subarray(0, 5).toString('latin1') === 'HEAD ';
}

/** The format for `path`: the longest prefix that matches it. */
export function formatFor(formats: readonly ClientErrorFormat[], path: string | undefined): ClientErrorFormat | undefined {
  if (path === undefined) return undefined;
  let best: ClientErrorFormat | undefined;
  for (const f of formats) if ((path === f.prefix || path.startsWith(`${f.prefix}/`)) && (!best || f.prefix.length > best.prefix.length)) best = f;
  return best;
}

/**
 * Fastify's `clientErrorHandler` (Fastify calls it with itself as `this`, for its logger): the
 * answer written straight to the socket, then the socket destroyed. `headers` are the security
 * headers of every API answer.
 */
export function clientErrorHandler(
  formats: readonly ClientErrorFormat[],
  headers: Readonly<Record<string, string>>,
): (this: { log: FastifyBaseLogger }, err: ParserError, socket: Socket) => void {
  const answered = new WeakSet<Socket>();
  const fixed = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return function (err, socket) {
    // A connection reset: nothing to answer (Fastify's handler does the same). The parser keeps
    // failing on every later read of a socket it refused: one answer per connection.
    if (err.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
    answered.add(socket);
    try {
      answer(this.log, err, socket);
    } catch {
      // Nothing above is expected to throw; if it does, the connection goes, never the process.
      socket.destroy();
    }
  };

  function answer(log: FastifyBaseLogger, err: ParserError, socket: Socket): void {
    // A response in flight: the request was already routed (a timeout, or a body the parser
    // refused), or the refused bytes began with an earlier request pipelined in the same read,
    // whose path says nothing of this one's. Either way the generic body.
    const inFlight = (socket as Socket & { _httpMessage?: { _headerSent?: boolean } | null })._httpMessage;
    const c = classifyClientError(err);
    const format = inFlight ? undefined : formatFor(formats, requestPathOf(err.rawPacket));
    const reason = STATUS_CODES[c.status] ?? 'Bad Request';
    const body = format ? JSON.stringify(format.render(c)) : JSON.stringify({ error: reason, message: c.message, statusCode: c.status });
    // HEAD, when its request line is among the refused bytes (else the method is unknown): the
    // headers only, with the body's length all the same, what a GET would have carried.
    const sent = !inFlight && isHeadRequest(err.rawPacket) ? '' : body;
    const requestId = randomUUID();
    log.info({ requestId, status: c.status, code: err.code, api: format?.prefix, ip: socket.remoteAddress }, 'request refused by the HTTP parser');
    // As Node's own handler: nothing is written into a response already on its way.
    if (!socket.writable || inFlight?._headerSent) {
      socket.destroy();
      return;
    }
    // Sent, then the sending side closed; the socket itself a moment later. Destroyed at once, a
    // socket with the client's unread bytes (the rest of 20 KB of headers) is reset, and the reset
    // can discard the answer before the client reads it.
    socket.end(
      `HTTP/1.1 ${c.status} ${reason}\r\n` +
        `content-type: ${format?.contentType ?? 'application/json; charset=utf-8'}\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        `${REQUEST_ID_HEADER}: ${requestId}\r\n${fixed}connection: close\r\n\r\n${sent}`,
    );
    const linger = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('close', () => clearTimeout(linger));
  }
}
