/**
 * The password worker threads' task (passwords.ts runs them through piscina). Each thread runs at
 * the lowest CPU priority (nice 19, set by piscina when the thread starts): hashing takes every
 * core the event loop leaves idle, and yields a core to the event loop whenever it wants one, so a
 * flood of sign-ups neither starves the other requests nor leaves cores idle (issue 15).
 *
 * The work runs synchronously on this thread: the async forms of the hashing libraries would hand
 * it to libuv's thread pool, which is shared by the whole process and runs at normal priority.
 */
import { hashSync } from '@node-rs/argon2';
import { readFileSync } from 'node:fs';
import { ROSTER_ARGON2, verifyPasswordSync } from './password-hashes.js';

export type PasswordTask = { op: 'hash'; password: string } | { op: 'verify'; stored: string; password: string } | { op: 'niceness' };

/** This thread's nice value, from /proc (Linux); null where it cannot be read. */
function niceness(): number | null {
  try {
    // Fields after the command name's closing parenthesis: state is the first, nice the 17th.
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ').at(-1)!.split(' ');
    return Number(fields[16]);
  } catch {
    return null;
  }
}

export default function run(task: PasswordTask): string | boolean | number | null {
  switch (task.op) {
    case 'hash':
      return hashSync(task.password, ROSTER_ARGON2);
    case 'verify':
      try {
        return verifyPasswordSync(task.stored, task.password);
      } catch {
        // HashFormatError (a stored hash that does not parse): to a login, a failed login.
        return false;
      }
    case 'niceness':
      return niceness();
  }
}
