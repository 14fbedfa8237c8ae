/** What every CLI verb is given: the services on the configured database, and an output that prints JSON or text. */
import { InvalidArgumentError } from 'commander';
import type { Services } from '../services.js';

export interface Output {
  json: boolean;
  print(value: unknown, human: string): void;
}

/** Runs `fn` with the services on the configured database (migrated), then closes it. */
export type WithServices = <T>(fn: (s: Services) => Promise<T>) => Promise<T>;

/** A repeatable option's values, in order. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A whole number option of up to four digits. */
export function wholeNumber(value: string): number {
  if (!/^\d{1,4}$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}
