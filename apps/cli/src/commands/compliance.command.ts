import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SYSTEM_ACTOR } from '@harbour/audit';
import { createIdentityServices } from '@harbour/auth';
import { createCompliance, writePackDir } from '@harbour/compliance';
import { withRuntime } from './support.js';

function isoTime(name: string) {
  return (v: string): Date => {
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new Error(`${name} must be an ISO 8601 date or time`);
    return d;
  };
}

/** `harbour compliance report`: the auditors' compliance pack of a period, as files. */
export function registerCompliance(program: Command): void {
  const compliance = program.command('compliance').description('compliance packs for auditors (DSPT, ethics reviews)');

  compliance
    .command('report')
    .description(
      'write the signed compliance pack of [from, to) to <dir>: report.pdf, report.json, CSV tables, statements, the audit export and manifest.json/.jws (verify with `harbour audit verify <dir>`)',
    )
    .argument('<dir>', 'output folder')
    .requiredOption('--from <iso>', 'start of the period (inclusive)', isoTime('--from'))
    .requiredOption('--to <iso>', 'end of the period (exclusive)', isoTime('--to'))
    .action(async (dir: string, o: { from: Date; to: Date }) => {
      await withRuntime(async (rt) => {
        const id = createIdentityServices({ db: rt.db, config: rt.config, keys: rt.keys });
        const { reports } = createCompliance({ db: rt.db, audit: id.audit, auditTrail: id.auditTrail, signer: id.signingKeys });
        const { files, report } = await reports.buildPack({ from: o.from, to: o.to }, SYSTEM_ACTOR);
        writePackDir(resolve(dir), files);
        const s = report.summary;
        process.stdout.write(
          `compliance pack ${report.from} to ${report.to}: ${files.size} files in ${resolve(dir)}\n` +
            `  ${s.projects} projects, ${s.dataAccessEvents} data access events, ${s.governanceEvents} governance events\n` +
            `  opt-out check: ${s.releasesChecked} results checked, ${s.optOutViolations} violation(s)\n` +
            `  audit trail ${s.auditTrailOk ? 'verified' : 'NOT verified'}; ledger ${s.reconciliationOk ? 'reconciled' : 'NOT reconciled'}\n`,
        );
        if (s.optOutViolations > 0 || !s.auditTrailOk || !s.reconciliationOk) process.exitCode = 1;
      });
    });
}
