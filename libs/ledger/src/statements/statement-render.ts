import { formatPence } from '../money.js';
import { renderTextPdf, type PdfLine } from './pdf-writer.js';
import type { EventsDigest, Statement, StatementEvent } from './statement.types.js';

/** RFC 4180 field: quoted when it holds a comma, quote or line break; quotes doubled. */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  // A leading =, +, - or @ would be a formula in a spreadsheet (CSV injection): prefix a quote.
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const row = (fields: readonly (string | number | null)[]): string => `${fields.map(csvField).join(',')}\r\n`;

export const STATEMENT_CSV_HEADER = [
  'line_no',
  'project_id',
  'event_kind',
  'currency',
  'unit_price_pence',
  'events',
  'quantity',
  'patients',
  'gross_pence',
  'amount_pence',
  'amount',
  'audit_entry_id_first',
  'audit_entry_id_last',
];

/** The statement lines as CSV (one row per line, then one total row per currency). */
export function renderStatementCsv(s: Statement): string {
  let out = row(STATEMENT_CSV_HEADER);
  for (const l of s.lines) {
    out += row([
      l.lineNo,
      l.projectId,
      l.eventKind,
      l.currency,
      l.unitPricePence,
      l.events,
      l.quantity,
      l.patients,
      l.grossPence,
      l.amountPence,
      formatPence(l.amountPence),
      l.auditEntryIdFirst,
      l.auditEntryIdLast,
    ]);
  }
  for (const t of s.totals)
    out += row([
      'total',
      null,
      null,
      t.currency,
      null,
      t.events,
      null,
      null,
      t.grossPence,
      t.amountPence,
      formatPence(t.amountPence),
      null,
      null,
    ]);
  return out;
}

export const EVENTS_CSV_HEADER = [
  'line_no',
  'journal_id',
  'journal_kind',
  'billable_event_id',
  'idempotency_key',
  'audit_entry_id',
  'occurred_at',
  'project_id',
  'event_kind',
  'quantity',
  'patients',
  'fee_pence',
  'amount_pence',
  'currency',
];

export function eventsCsvHeader(): string {
  return row(EVENTS_CSV_HEADER);
}

export function eventsCsvRow(e: StatementEvent): string {
  return row([
    e.lineNo,
    e.journalId,
    e.journalKind,
    e.billableEventId,
    e.idempotencyKey,
    e.auditEntryId,
    e.occurredAt,
    e.projectId,
    e.eventKind,
    e.quantity,
    e.patients,
    e.feePence,
    e.amountPence,
    e.currency,
  ]);
}

const money = (p: number, currency: string): string => `${currency === 'GBP' ? '£' : `${currency} `}${formatPence(p)}`;
const pad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** The statement for people: a PDF with the lines, the totals and the digest of the events file. */
export function renderStatementPdf(s: Statement, events?: EventsDigest): Buffer {
  const isPartner = s.party.kind === 'partner';
  const title = isPartner ? 'Statement of charges' : 'Statement of revenue share earned';
  const lines: PdfLine[] = [
    { text: `Harbour data station - ${title}`, font: 'bold', size: 16 },
    { text: `${isPartner ? 'Partner' : 'Trust'}: ${s.party.name ?? s.party.id}`, gapBefore: 8 },
    { text: `Party id: ${s.party.id}`, size: 8 },
    {
      text: `Period: ${s.period.id} (${s.period.startsOn} to ${s.period.endsOn}, exclusive)   Status: ${s.period.status === 'closed' ? 'final (period closed)' : 'DRAFT (period open)'}`,
    },
    { text: `Generated: ${s.generatedAt}`, size: 8 },
  ];
  const header = `${pad('#', 4)}${pad('Project', 10)}${pad('Event', 24)}${lpad('Unit', 10)}${lpad('Events', 9)}${lpad('Qty', 10)}${isPartner ? '' : lpad('Patients', 10)}${lpad(isPartner ? 'Charged' : 'Earned', 14)}`;
  lines.push({ text: header, font: 'mono', size: 8, gapBefore: 12 });
  lines.push({ text: '-'.repeat(header.length), font: 'mono', size: 8 });
  for (const l of s.lines) {
    lines.push({
      text: `${pad(String(l.lineNo), 4)}${pad(l.projectId ? l.projectId.slice(0, 8) : '-', 10)}${pad(l.eventKind, 24)}${lpad(l.unitPricePence === null ? '' : formatPence(l.unitPricePence), 10)}${lpad(String(l.events), 9)}${lpad(String(l.quantity), 10)}${isPartner ? '' : lpad(String(l.patients ?? 0), 10)}${lpad(money(l.amountPence, l.currency), 14)}`,
      font: 'mono',
      size: 8,
    });
  }
  if (s.lines.length === 0) lines.push({ text: 'No postings in this period.', size: 9 });
  lines.push({ text: '-'.repeat(header.length), font: 'mono', size: 8 });
  for (const t of s.totals) {
    lines.push({
      text: isPartner
        ? `Total charged (${t.currency}): ${money(t.amountPence, t.currency)} for ${t.events} billable events`
        : `Total earned (${t.currency}): ${money(t.amountPence, t.currency)} from ${t.events} billable events whose fees were ${money(t.grossPence, t.currency)}`,
      font: 'bold',
      gapBefore: 6,
    });
  }
  lines.push({
    text: 'Amounts are exact to the penny. Project ids are shortened here; the CSV and the signed JSON give them in full.',
    size: 8,
    gapBefore: 14,
  });
  if (events) {
    lines.push({
      text: `Each line's billable events and audit entries are listed in ${events.file ?? 'the events file'} (${events.rows} rows),`,
      size: 8,
    });
    lines.push({ text: `SHA-256 ${events.sha256}, which the signed JSON statement certifies.`, size: 8 });
  }
  return renderTextPdf(lines, {
    title: `${title} ${s.period.id} - ${s.party.name ?? s.party.id}`,
    footer: `Harbour ${s.party.kind} statement ${s.period.id}`,
  });
}
