import type { Command } from 'commander';
import { readAuditExport, verifyAuditTrail, writeAuditExport, SYSTEM_ACTOR, ExportFormatError } from '@harbour/audit';
import { createIdentityServices } from '@harbour/auth';
import { isCompliancePackDir, readPackDir, verifyCompliancePack } from '@harbour/compliance';
import { withRuntime } from './support.js';

function isoDate(name: string) {
  return (v: string): Date => {
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new Error(`${name} must be an ISO 8601 date or time`);
    return d;
  };
}

/**
 * `harbour audit`: export a stretch of the trail for offline verification, verify an export
 * with no database and no network, and sign a checkpoint now.
 */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit trail');

  audit
    .command('export')
    .description('write entries.jsonl, checkpoints.jsonl, jwks.json and audit-events.ndjson (FHIR R4 AuditEvent) to <dir>')
    .argument('<dir>', 'output folder')
    .option('--from <iso>', 'entries recorded at or after', isoDate('--from'))
    .option('--to <iso>', 'entries recorded before', isoDate('--to'))
    .action(async (dir: string, o: { from?: Date; to?: Date }) => {
      await withRuntime(async (rt) => {
        const svc = createIdentityServices({ db: rt.db, config: rt.config, keys: rt.keys });
        // Sign the head first, so the export ends on a checkpoint when it reaches the present.
        await svc.auditTrail.createCheckpoint();
        const x = await svc.auditTrail.exportRange({ ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}) }, SYSTEM_ACTOR);
        writeAuditExport(dir, x);
        const first = x.entries[0]?.seq;
        const last = x.entries[x.entries.length - 1]?.seq;
        process.stdout.write(
          `exported ${x.entries.length} entries${first ? ` (seq ${first} to ${last})` : ''} and ${x.checkpoints.length} checkpoints to ${dir}\n`,
        );
      });
    });

  audit
    .command('verify')
    .description(
      'verify an export (or a compliance pack) offline: every hash link and checkpoint signature, and for a pack its signed manifest and every file; exit 1 naming the first problem',
    )
    .argument('<dir>', 'folder written by `harbour audit export` or `harbour compliance report`')
    .action(async (dir: string) => {
      if (isCompliancePackDir(dir)) {
        const v = await verifyCompliancePack(readPackDir(dir));
        if (v.ok) {
          const a = v.audit;
          const range = a?.firstSeq != null ? ` (seq ${a.firstSeq} to ${a.lastSeq})` : '';
          process.stdout.write(
            `OK: compliance pack signed by key ${v.kid}: ${v.filesChecked} files and ${v.statementsChecked} signed statements match the manifest; ` +
              `${a?.entriesChecked ?? 0} audit entries${range} and ${a?.checkpointsChecked ?? 0} signed checkpoints verified\n`,
          );
          return;
        }
        process.stdout.write(`FAILED: ${v.failure!.kind}${v.failure!.path ? ` (${v.failure!.path})` : ''}: ${v.failure!.message}\n`);
        process.exit(1);
      }
      let input: ReturnType<typeof readAuditExport>;
      try {
        input = readAuditExport(dir);
      } catch (err) {
        process.stderr.write(
          `cannot read export: ${err instanceof ExportFormatError || err instanceof Error ? err.message : String(err)}\n`,
        );
        process.exit(2);
      }
      const r = await verifyAuditTrail(input);
      if (r.ok) {
        const range = r.firstSeq !== null ? ` (seq ${r.firstSeq} to ${r.lastSeq})` : '';
        process.stdout.write(`OK: ${r.entriesChecked} entries${range} and ${r.checkpointsChecked} signed checkpoints verified\n`);
        return;
      }
      process.stdout.write(`FAILED: ${r.failure!.kind} at entry ${r.failure!.seq}: ${r.failure!.message}\n`);
      process.exit(1);
    });

  audit
    .command('checkpoint')
    .description('sign a checkpoint of the current chain head now')
    .action(async () => {
      await withRuntime(async (rt) => {
        const svc = createIdentityServices({ db: rt.db, config: rt.config, keys: rt.keys });
        const c = await svc.auditTrail.createCheckpoint();
        process.stdout.write(
          c ? `checkpoint at tree size ${c.treeSize}, head ${c.headHash}, key ${c.kid}\n` : 'the trail is empty: nothing to sign\n',
        );
      });
    });
}
