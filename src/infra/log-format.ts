/**
 * Log lines are JSON (one object a line, for collectors); on a terminal they are made readable by
 * pino-pretty (the pino project's own formatter). LOG_FORMAT=json|pretty forces either.
 */
import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import pino, { type LoggerOptions } from 'pino';
import type prettyModule from 'pino-pretty';
import { lazyRequire } from './lazy-require.js';

/** pino-pretty, loaded when the readable format is chosen. */
const pretty = lazyRequire<typeof prettyModule>('pino-pretty');

export type LogFormat = 'json' | 'pretty';

export class LogFormatError extends Error {}

/** LOG_FORMAT when set, else pretty on a terminal and JSON otherwise. */
export function logFormatOf(raw: string | undefined, isTty: boolean): LogFormat {
  const value = raw?.trim().toLowerCase();
  if (!value) return isTty ? 'pretty' : 'json';
  if (value === 'json' || value === 'pretty') return value;
  throw new LogFormatError(`LOG_FORMAT must be json or pretty (got "${raw}")`);
}

/** A pino logger writing readable lines to `out` (stdout by default), synchronously. */
export function prettyLogger(options: LoggerOptions, out: Writable = process.stdout): FastifyBaseLogger {
  return pino(options, pretty()({ destination: out, colorize: (out as { isTTY?: boolean }).isTTY === true, translateTime: 'SYS:standard', sync: true }));
}
