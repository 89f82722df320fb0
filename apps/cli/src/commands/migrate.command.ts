import type { Command } from 'commander';
import { bootRuntime } from '@harbour/runtime';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      const rt = await bootRuntime({ role: 'migrate', queue: false });
      await rt.close();
      process.stdout.write('migrations up to date\n');
    });
}
