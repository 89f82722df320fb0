import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CompactSign, importPKCS8 } from 'jose';
import { bootRuntime, type Runtime } from '@harbour/runtime';
import { assertPeriodId, createLedger, formatPence, type ReconciliationReport, type StatementSigner } from '@harbour/ledger';
import { createIdentityServices } from '@harbour/auth';
import { stationStatementSigner } from '@harbour/compliance';

const period = (v: string): string => {
  try {
    return assertPeriodId(v);
  } catch {
    throw new Error(`--period must be YYYY-MM, got "${v}"`);
  }
};

async function withRuntime<T>(fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await bootRuntime({ role: 'cli', queue: false });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/**
 * A signer from an ES256 private key file (PKCS#8 PEM), for statements signed outside the station
 * key store; the JWS has the same shape either way (compact, ES256, kid header).
 */
async function fileSigner(path: string, kid: string | undefined): Promise<StatementSigner> {
  const key = await importPKCS8(readFileSync(path, 'utf8'), 'ES256');
  return {
    sign: (payload) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg: 'ES256', typ: 'JWS', ...(kid ? { kid } : {}) })
        .sign(key),
  };
}

function printReport(r: ReconciliationReport): void {
  const out = process.stdout;
  out.write(
    `period ${r.periodId} (${r.periodStatus}): ${r.counts.events} billable events, ${r.counts.journals} journals, ${r.counts.lines} lines\n`,
  );
  out.write(`debits ${formatPence(r.counts.debitPence)}  credits ${formatPence(r.counts.creditPence)}\n`);
  for (const c of r.checks) {
    const state = c.skipped ? `skipped (${c.skipped})` : c.ok ? 'ok' : `${c.differences} difference(s)`;
    out.write(`  ${c.ok ? '✓' : '✗'} ${c.check}: ${state}\n`);
    for (const f of c.findings) out.write(`      ${f.ref}: ${f.detail}\n`);
    if (c.differences > c.findings.length) out.write(`      … and ${c.differences - c.findings.length} more\n`);
  }
  out.write(r.ok ? 'reconciled: no differences\n' : 'NOT reconciled: differences found\n');
}

/** `harbour ledger …`: close periods, reconcile them, and write statements. */
export function registerLedger(program: Command): void {
  const ledger = program.command('ledger').description('metering and revenue-share ledger: close periods, reconcile, statements');

  ledger
    .command('reconcile')
    .description(
      'check every billable event has its postings and every posting its event, journals balance and balances equal the sum of lines (exit 1 on any difference)',
    )
    .requiredOption('--period <YYYY-MM>', 'accounting period', period)
    .option('--json', 'print the report as JSON')
    .action(async (o: { period: string; json?: boolean }) => {
      const report = await withRuntime((rt) => createLedger(rt.db).reconciliation.reconcile(o.period));
      if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else printReport(report);
      if (!report.ok) process.exitCode = 1;
    });

  ledger
    .command('close')
    .description('close a period: postings dated in it are refused from now on; account balances are snapshotted')
    .requiredOption('--period <YYYY-MM>', 'accounting period', period)
    .option('--by <name>', 'who closes it (recorded on the period)', 'cli')
    .action(async (o: { period: string; by: string }) => {
      const closed = await withRuntime((rt) => createLedger(rt.db).periods.closePeriod(o.period, { closedBy: o.by }));
      process.stdout.write(
        `period ${closed.periodId} closed: ${closed.accounts} accounts, debits ${formatPence(closed.debitPence)} = credits ${formatPence(closed.creditPence)}\n`,
      );
    });

  ledger
    .command('statements')
    .description('write partner and trust statements of a period: CSV lines, CSV events, PDF and (with a key) signed JSON')
    .requiredOption('--period <YYYY-MM>', 'accounting period', period)
    .requiredOption('--out <dir>', 'output folder')
    .option('--signing-key <file>', 'ES256 private key (PKCS#8 PEM) to sign with instead of the station key')
    .option('--kid <id>', 'key id to put in the JWS header (with --signing-key)')
    .action(async (o: { period: string; out: string; signingKey?: string; kid?: string }) => {
      const fromFile = o.signingKey ? await fileSigner(resolve(o.signingKey), o.kid) : undefined;
      const started = Date.now();
      const written = await withRuntime((rt) => {
        // Default: the station key store (the key of tokens and audit checkpoints; public in /.well-known/jwks.json).
        const signer =
          fromFile ?? stationStatementSigner(createIdentityServices({ db: rt.db, config: rt.config, keys: rt.keys }).signingKeys);
        return createLedger(rt.db).statements.writePeriodStatements(o.period, resolve(o.out), { signer });
      });
      for (const w of written) {
        const totals = w.totals.map((t) => `${t.currency} ${formatPence(t.amountPence)}`).join(', ') || 'nothing';
        process.stdout.write(`${w.party.kind} ${w.party.name ?? w.party.id}: ${totals} (${w.events.rows} event lines) → ${w.files.pdf}\n`);
      }
      process.stdout.write(`${written.length} statements written to ${resolve(o.out)} in ${Date.now() - started} ms\n`);
    });
}
