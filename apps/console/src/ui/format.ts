const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/London' });
const dateOnly = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'Europe/London' });
const gbp = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' });
const num = new Intl.NumberFormat('en-GB');

export function fmtDateTime(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  const d = new Date(String(v));
  return Number.isNaN(d.getTime()) ? String(v) : dateTime.format(d);
}

export function fmtDate(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  const d = new Date(String(v));
  return Number.isNaN(d.getTime()) ? String(v) : dateOnly.format(d);
}

/** Money is integer pence in the ledger. */
export function fmtPence(p: unknown): string {
  const n = typeof p === 'number' ? p : Number(p);
  return Number.isFinite(n) ? gbp.format(n / 100) : '—';
}

export function fmtNumber(v: unknown): string {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? num.format(n) : '—';
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function shortId(id: unknown): string {
  const s = String(id ?? '');
  return s.length > 12 ? `${s.slice(0, 8)}…` : s || '—';
}

export function humanise(s: unknown): string {
  const t = String(s ?? '').replace(/[_-]+/g, ' ');
  return t ? t.charAt(0).toUpperCase() + t.slice(1) : '—';
}

/** Save a blob the API gave as a file download. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
