/** `roster config`: the effective configuration (environment and defaults), secrets masked. */
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { configLines, configView } from '../infra/config-view.js';
import type { Output } from './context.js';

export function registerConfig(program: Command, out: (cmd: Command) => Output): void {
  program
    .command('config')
    .description('print the effective configuration (environment and defaults), secrets masked')
    .option('--json', 'print one JSON object')
    .action((_opts: unknown, cmd: Command) => {
      const view = configView(loadConfig());
      out(cmd).print(view, configLines(view).join('\n'));
    });
}
