/** `roster secrets rotate`: re-seals every sealed value (Chatwoot tokens, webhook secrets) under a key. */
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { parseSecretKey, SecretBoxError } from '../infra/secret-box.js';
import { commitKeyFile, dropStagedKeyFile, SecretKeyError, stageKeyFile } from '../infra/secret-key.js';
import type { Output, WithServices } from './context.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function registerSecrets(program: Command, withServices: WithServices, out: (cmd: Command) => Output): void {
  const secrets = program.command('secrets').description('the installation key that seals the secrets roster must read back (see docs/security.md)');
  secrets
    .command('rotate')
    .description(
      'without options: re-seal every value still sealed under a key of ROSTER_SECRET_KEY_PREVIOUS with ROSTER_SECRET_KEY. ' +
        'With --new-key-stdin (SQLite with a key file only; stop roster first): re-seal every value under the key read from stdin, then make it the key file',
    )
    .option('--new-key-stdin', 'read the new key (32 bytes: 64 hex characters or base64, e.g. `openssl rand -base64 32`) from standard input')
    .option('--json', 'print one JSON object')
    .action(async (opts: { newKeyStdin?: boolean }, cmd: Command) => {
      const config = loadConfig();
      let staged: string | undefined;
      let newKey: Buffer | undefined;
      if (opts.newKeyStdin) {
        if (config.secretKey) {
          throw new SecretKeyError(
            'ROSTER_SECRET_KEY is set, so the key is yours to change: set ROSTER_SECRET_KEY to the new key and ROSTER_SECRET_KEY_PREVIOUS to the old one on every node, restart them, then run `roster secrets rotate` without --new-key-stdin',
          );
        }
        const text = await readStdin();
        try {
          newKey = parseSecretKey(text);
        } catch (err) {
          throw new SecretKeyError(`the new key read from stdin: ${(err as SecretBoxError).message}`);
        }
        staged = stageKeyFile(config.databaseUrl, text);
      }
      let result;
      try {
        result = await withServices((s) => s.secretRotation.rotate(newKey));
      } catch (err) {
        // Nothing was committed: the staged key goes.
        if (staged) dropStagedKeyFile(staged);
        if (err instanceof SecretBoxError) throw new SecretKeyError(`nothing was re-sealed: ${err.message}`);
        throw err;
      }
      // Committed: from here on the staged key is the one the values need (openSecretBox reads it too).
      if (staged) commitKeyFile(staged);
      out(cmd).print(result, `re-sealed ${result.resealed} value(s) under key ${result.keyId} (${result.unchanged} already were)`);
    });
}
