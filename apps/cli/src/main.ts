import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '@harbour/config';
import { registerStart } from './commands/start.command.js';
import { registerMigrate } from './commands/migrate.command.js';
import { registerDemo } from './commands/demo.command.js';
import { registerAudit } from './commands/audit.command.js';
import { registerKeys } from './commands/keys.command.js';
import { registerUsers } from './commands/users.command.js';
import { registerIngest } from './commands/ingest.command.js';
import { registerDeid } from './commands/deid.command.js';
import { registerLedger } from './commands/ledger.command.js';
import { registerCompliance } from './commands/compliance.command.js';

/** `harbour`: the operator command. Each sub-command lives in ./commands. */
const program = new Command('harbour')
  .description('Harbour operator command: run the station, ingest, de-identify, manage keys, audit')
  .showHelpAfterError()
  .exitOverride();

registerStart(program);
registerMigrate(program);
registerDemo(program);
registerAudit(program);
registerKeys(program);
registerUsers(program);
registerIngest(program);
registerDeid(program);
registerLedger(program);
registerCompliance(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  process.stderr.write(`harbour: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
