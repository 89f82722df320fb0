/**
 * A minimal text-only PDF 1.4 writer (ISO 32000-1 subset): the standard Type 1 fonts Helvetica,
 * Helvetica-Bold and Courier (which every reader has, so nothing is embedded), WinAnsiEncoding,
 * A4 pages, lines flowing top to bottom with automatic page breaks and a page footer.
 *
 * Why not a library: statements need only text and a monospaced table; 150 lines of our own keep a
 * third-party dependency (and its transitive fonts and image codecs) out of a regulated service,
 * and make the output byte-for-byte deterministic for the same input (no timestamps, no ids).
 */
export type PdfFont = 'regular' | 'bold' | 'mono';

export interface PdfLine {
  readonly text: string;
  readonly font?: PdfFont;
  readonly size?: number;
  /** Extra space above the line, in points. */
  readonly gapBefore?: number;
}

const FONT_RESOURCE: Record<PdfFont, string> = { regular: 'F1', bold: 'F2', mono: 'F3' };
const PAGE_W = 595.28; // A4 in points (ISO 216)
const PAGE_H = 841.89;
const MARGIN = 50;
const FOOTER_Y = 30;

/** Text to a PDF literal string: WinAnsi bytes, with (, ) and \ escaped (ISO 32000-1 §7.3.4.2). */
function pdfString(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 63;
    // WinAnsi matches Latin-1 for printable 0x20–0x7E and 0xA0–0xFF (e.g. £ = 0xA3); others become '?'.
    const byte = (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) ? code : 0x3f;
    if (byte === 0x28 || byte === 0x29 || byte === 0x5c) out += '\\';
    out += String.fromCharCode(byte);
  }
  return `(${out})`;
}

/** Lay the lines out on A4 pages and serialise the document. */
export function renderTextPdf(lines: readonly PdfLine[], opts: { title: string; footer?: string }): Buffer {
  const pages: string[][] = [];
  let ops: string[] = [];
  let y = PAGE_H - MARGIN;
  for (const line of lines) {
    const size = line.size ?? 10;
    const advance = size * 1.35 + (line.gapBefore ?? 0);
    if (y - advance < MARGIN + 10 && ops.length > 0) {
      pages.push(ops);
      ops = [];
      y = PAGE_H - MARGIN;
    }
    y -= advance;
    ops.push(`BT /${FONT_RESOURCE[line.font ?? 'regular']} ${size} Tf ${MARGIN} ${y.toFixed(2)} Td ${pdfString(line.text)} Tj ET`);
  }
  pages.push(ops);

  // Objects: 1 catalog, 2 page tree, 3-5 fonts, 6 info, then (page, content) per page.
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 7 + i * 2);
  objects[1] = `<< /Type /Catalog /Pages 2 0 R >>`;
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objects[3] = `<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>`;
  objects[4] = `<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>`;
  objects[5] = `<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>`;
  objects[6] = `<< /Title ${pdfString(opts.title)} /Producer (Harbour ledger) >>`;
  pages.forEach((pageOps, i) => {
    const footer = `${opts.footer ? `${opts.footer}   ` : ''}page ${i + 1} of ${pages.length}`;
    const content = [...pageOps, `BT /F1 8 Tf ${MARGIN} ${FOOTER_Y} Td ${pdfString(footer)} Tj ET`].join('\n');
    const pageId = pageIds[i] ?? 0;
    objects[pageId] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_W} ${PAGE_H}] /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents ${pageId + 1} 0 R >>`;
    objects[pageId + 1] = `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`;
  });

  // Byte offsets for the cross-reference table (§7.5.4): each entry is exactly 20 bytes.
  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = Buffer.byteLength(body, 'latin1');
    body += `${id} 0 obj\n${objects[id] ?? 'null'}\nendobj\n`;
  }
  const xrefAt = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) body += `${String(offsets[id] ?? 0).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
