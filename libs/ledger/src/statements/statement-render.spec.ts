import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTextPdf } from './pdf-writer.js';
import { csvField, renderStatementCsv, renderStatementPdf } from './statement-render.js';
import { STATEMENT_FORMAT, type Statement } from './statement.types.js';

/** Every xref entry points at its object and every stream's /Length is exact (ISO 32000-1 §7.5). */
function assertWellFormedPdf(pdf: Buffer): void {
  const s = pdf.toString('latin1');
  assert.ok(s.startsWith('%PDF-1.4\n') && s.endsWith('%%EOF\n'));
  const startxref = Number(/startxref\n(\d+)/.exec(s)?.[1]);
  assert.equal(s.slice(startxref, startxref + 4), 'xref');
  const lines = s.slice(startxref).split('\n');
  const count = Number(lines[1]?.split(' ')[1]);
  for (let id = 1; id < count; id++) {
    const off = Number(lines[2 + id]?.slice(0, 10));
    assert.ok(s.startsWith(`${id} 0 obj`, off), `object ${id} at ${off}`);
  }
  for (const m of s.matchAll(/<< \/Length (\d+) >>\nstream\n/g)) {
    const end = (m.index ?? 0) + m[0].length + Number(m[1]);
    assert.equal(s.slice(end, end + 10), '\nendstream');
  }
}

test('pdf: paginates, escapes, stays well formed and deterministic', () => {
  const lines = Array.from({ length: 150 }, (_, i) => ({
    text: `line ${i} (with parens) \\ back £1.00 – dash`,
    font: 'mono' as const,
    size: 9,
  }));
  const a = renderTextPdf(lines, { title: 'T', footer: 'f' });
  assertWellFormedPdf(a);
  assert.ok((a.toString('latin1').match(/\/Type \/Page /g) ?? []).length >= 3);
  assert.ok(a.toString('latin1').includes('\\(with parens\\) \\\\ back \xa31.00 ? dash'));
  assert.deepEqual(a, renderTextPdf(lines, { title: 'T', footer: 'f' }));
});

test('csv: RFC 4180 quoting and no spreadsheet formulas', () => {
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('=SUM(A1)'), "'=SUM(A1)");
  assert.equal(csvField(-12), '-12');
  assert.equal(csvField(null), '');
});

test('statement renders as CSV lines with totals and as a PDF', () => {
  const s: Statement = {
    format: STATEMENT_FORMAT,
    party: { kind: 'trust', id: '00000000-0000-0000-0000-000000000001', name: 'Trust (X1)' },
    period: { id: '2025-03', startsOn: '2025-03-01', endsOn: '2025-04-01', status: 'closed' },
    lines: [
      {
        lineNo: 1,
        projectId: 'p',
        eventKind: 'query.executed',
        currency: 'GBP',
        unitPricePence: 250,
        events: 2,
        quantity: 2,
        patients: 7,
        grossPence: 500,
        amountPence: 20,
        auditEntryIdFirst: '5',
        auditEntryIdLast: '9',
      },
    ],
    totals: [{ currency: 'GBP', events: 2, grossPence: 500, amountPence: 20 }],
    generatedAt: '2025-04-01T00:00:00.000Z',
  };
  assert.equal(renderStatementCsv(s).split('\r\n')[1], '1,p,query.executed,GBP,250,2,2,7,500,20,0.20,5,9');
  assert.ok(renderStatementCsv(s).includes('total,,,GBP,,2,,,500,20,0.20,,'));
  assertWellFormedPdf(renderStatementPdf(s, { rows: 2, sha256: 'ab'.repeat(32), file: 'x.events.csv' }));
});
