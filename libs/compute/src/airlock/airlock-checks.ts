/**
 * Automatic airlock checks: pure functions over a job's outputs that flag what a data guardian
 * must look at before anything leaves Harbour. They follow the output-checking rules of thumb used
 * by UK trusted research environments (minimum cell count, rounding, dominance, no record-level
 * data; see "Handbook on Statistical Disclosure Control for Outputs", SDC Handbook, 2019/2023).
 * They are heuristics that catch common mistakes, not a proof of safety: a `block` finding stops
 * automatic release; no finding still means a human reviews the output.
 *
 * Messages never contain cell values (they are shown to the partner who wrote the job); column
 * names go in the `column` field only, since a job controls those too.
 */
import type { JobOutput, JsonValue, TableCell, TableData } from '../job.types.js';
import { parsePngHeader } from './png.js';

export type FindingSeverity = 'block' | 'warn' | 'info';

export type FindingCode =
  | 'output_too_large'
  | 'identifier_values'
  | 'identifier_column_name'
  | 'row_level_table'
  | 'high_cardinality_column'
  | 'small_count'
  | 'count_not_rounded'
  | 'dominant_contributor'
  | 'free_text_requires_review'
  | 'image_requires_review'
  | 'possible_medical_image'
  | 'invalid_image';

export interface Finding {
  readonly code: FindingCode;
  readonly severity: FindingSeverity;
  readonly message: string;
  /** Column (table) or key path (JSON) concerned. */
  readonly column?: string;
}

export interface AirlockContext {
  /** Counts greater than 0 and below this are disclosive (NHS England small-number practice: 10). */
  readonly suppressionThreshold: number;
  /** Counts should be multiples of this (default 5). */
  readonly roundingBase: number;
  /** Patients the job read (`usage.patientsRead`); 0 when it read no cohort. */
  readonly patientsRead: number;
  /** Largest output size released without a finding, bytes. */
  readonly maxBytes: number;
  /** Share of a column total above which one row dominates the statistic (default 0.9). */
  readonly dominanceShare?: number;
}

export const DEFAULT_AIRLOCK_CONTEXT = {
  suppressionThreshold: 10,
  roundingBase: 5,
  maxBytes: 5 * 1024 * 1024,
  dominanceShare: 0.9,
} as const;

/** Harbour's per-project pseudonym (libs/pseudonymisation): `HBR-` and 16 base32 characters. */
const PSEUDONYM = /HBR-[A-Z2-7]{16}/;
/** Ten digits, optionally grouped 3-3-4 as NHS numbers are printed. */
const NHS_LIKE = /^\d{3}[ -]?\d{3}[ -]?\d{4}$/;
const NHS_LIKE_IN_TEXT = /(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)/;
const UUID_LIKE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_IN_TEXT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

const ID_TOKENS = new Set(['patient', 'pseudonym', 'pseudo', 'nhs', 'mrn', 'id', 'uuid', 'guid', 'identifier', 'subject', 'person', 'chi']);
const COUNT_TOKENS = new Set([
  'count',
  'counts',
  'n',
  'num',
  'freq',
  'frequency',
  'cases',
  'patients',
  'people',
  'persons',
  'total',
  'subjects',
]);
const SUM_TOKENS = new Set(['sum', 'total', 'amount', 'cost', 'costs']);

/** Share of values that must look like identifiers before a column is called an identifier. */
const IDENTIFIER_SHARE = 0.5;
/** A table with at least this share of the patients read as rows is taken to be one row per patient. */
const ROW_LEVEL_SHARE = 0.5;
const MIN_ROWS_ROW_LEVEL = 10;
const MIN_ROWS_HIGH_CARDINALITY = 100;
const HIGH_CARDINALITY_SHARE = 0.9;
/** Greyscale images at least this large (both sides) look like medical images rather than charts. */
const MEDICAL_MIN_SIDE = 128;
const MEDICAL_MATRIX_SIDES = new Set([256, 512, 1024, 2048, 3072, 4096]);

/** Runs every check that applies to the output's kind. */
export function checkOutput(output: JobOutput, context: AirlockContext): Finding[] {
  const findings: Finding[] = [];
  if (output.size > context.maxBytes) {
    findings.push({
      code: 'output_too_large',
      severity: 'block',
      message: `The output is ${output.size} bytes, above the limit of ${context.maxBytes}.`,
    });
  }
  switch (output.kind) {
    case 'table':
      findings.push(...checkTable(output.table, context));
      break;
    case 'json':
      findings.push(...checkJson(output.value, context));
      break;
    case 'text':
      findings.push(...checkText(output.text));
      break;
    case 'png':
      findings.push(...checkPng(output.bytes));
      break;
  }
  return findings;
}

/** The most severe finding's severity, or undefined when there is none. */
export function worstSeverity(findings: readonly Finding[]): FindingSeverity | undefined {
  if (findings.some((f) => f.severity === 'block')) return 'block';
  if (findings.some((f) => f.severity === 'warn')) return 'warn';
  return findings.length > 0 ? 'info' : undefined;
}

function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== '');
}

const isCountName = (name: string): boolean => nameTokens(name).some((t) => COUNT_TOKENS.has(t));
const isSumName = (name: string): boolean => nameTokens(name).some((t) => SUM_TOKENS.has(t));
const isIdentifierName = (name: string): boolean => !isCountName(name) && nameTokens(name).some((t) => ID_TOKENS.has(t));

type IdentifierKind = 'pseudonym' | 'nhs' | 'uuid';

function identifierKind(value: TableCell): IdentifierKind | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1e9 && value < 1e10 ? 'nhs' : undefined;
  if (typeof value !== 'string') return undefined;
  if (PSEUDONYM.test(value)) return 'pseudonym';
  if (NHS_LIKE.test(value.trim())) return 'nhs';
  if (UUID_LIKE.test(value.trim())) return 'uuid';
  return undefined;
}

const IDENTIFIER_WORDS: Record<IdentifierKind, string> = {
  pseudonym: 'Harbour pseudonyms',
  nhs: 'NHS-number-like 10-digit values',
  uuid: 'UUID-like identifiers',
};

/** Checks a table; also used for arrays of records found in JSON outputs. */
export function checkTable(table: TableData, context: AirlockContext): Finding[] {
  const findings: Finding[] = [];
  const rows = table.rows;
  const share = context.dominanceShare ?? DEFAULT_AIRLOCK_CONTEXT.dominanceShare;

  table.columns.forEach((column, c) => {
    const position = `Column ${c + 1}`;
    const values = rows.map((r) => r[c] ?? null).filter((v): v is Exclude<TableCell, null> => v !== null);

    // Identifiers: a pseudonym anywhere is patient-level; other formats when they fill the column.
    const kinds = new Map<IdentifierKind, number>();
    for (const v of values) {
      const k = identifierKind(v);
      if (k) kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    const flagged = [...kinds].find(([k, n]) => k === 'pseudonym' || n >= IDENTIFIER_SHARE * values.length);
    if (flagged || PSEUDONYM.test(column)) {
      const what = flagged ? IDENTIFIER_WORDS[flagged[0]] : IDENTIFIER_WORDS.pseudonym;
      findings.push({
        code: 'identifier_values',
        severity: 'block',
        column,
        message: `${position} contains ${what}: patient-level identifiers may not leave Harbour.`,
      });
    } else if (isIdentifierName(column)) {
      findings.push({
        code: 'identifier_column_name',
        severity: 'warn',
        column,
        message: `${position} is named like a patient identifier.`,
      });
    }

    const integers = values.length > 0 && values.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0);
    if (integers && isCountName(column)) {
      const counts = values as number[];
      const small = counts.filter((n) => n > 0 && n < context.suppressionThreshold).length;
      if (small > 0) {
        findings.push({
          code: 'small_count',
          severity: 'block',
          column,
          message: `${position} has ${small} count(s) between 1 and ${context.suppressionThreshold - 1}; suppress or combine groups below ${context.suppressionThreshold}.`,
        });
      }
      const unrounded = counts.filter((n) => n % context.roundingBase !== 0).length;
      if (unrounded > 0) {
        findings.push({
          code: 'count_not_rounded',
          severity: 'warn',
          column,
          message: `${position} has ${unrounded} count(s) not rounded to a multiple of ${context.roundingBase}.`,
        });
      }
    }
    if ((integers && isCountName(column)) || (isSumName(column) && values.every((v) => typeof v === 'number' && v >= 0))) {
      const nums = values as number[];
      const total = nums.reduce((a, b) => a + b, 0);
      const max = nums.reduce((a, b) => Math.max(a, b), 0);
      if (nums.length >= 2 && total > 0 && max / total > share) {
        findings.push({
          code: 'dominant_contributor',
          severity: 'warn',
          column,
          message: `${position}: one row holds more than ${Math.round(share * 100)}% of the column total, which may disclose a single contributor.`,
        });
      }
    }
  });

  // Row-level data: about as many rows as patients read is one row per patient, whatever the columns.
  const patients = context.patientsRead;
  if (patients >= MIN_ROWS_ROW_LEVEL && rows.length >= MIN_ROWS_ROW_LEVEL && rows.length >= ROW_LEVEL_SHARE * patients) {
    findings.push({
      code: 'row_level_table',
      severity: 'block',
      message: `The table has ${rows.length} rows for ${patients} patients read: it looks like one row per patient, not an aggregate.`,
    });
  } else if (rows.length >= MIN_ROWS_HIGH_CARDINALITY) {
    table.columns.forEach((column, c) => {
      const strings = rows.map((r) => r[c]).filter((v): v is string => typeof v === 'string');
      if (strings.length >= HIGH_CARDINALITY_SHARE * rows.length && new Set(strings).size >= HIGH_CARDINALITY_SHARE * rows.length) {
        findings.push({
          code: 'high_cardinality_column',
          severity: 'warn',
          column,
          message: `Column ${c + 1} has a distinct value on almost every one of ${rows.length} rows: check that rows are groups, not people.`,
        });
      }
    });
  }
  return findings;
}

function isRecord(v: JsonValue): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isCell = (v: JsonValue): v is TableCell => v === null || typeof v !== 'object';

/**
 * JSON outputs: arrays of flat records are checked as tables, other count-named numbers as
 * one-column tables, and every string for identifiers.
 */
function checkJson(value: JsonValue, context: AirlockContext): Finding[] {
  const findings: Finding[] = [];
  const scalarCounts = new Map<string, number[]>();
  const identifiers = new Map<IdentifierKind, number>();
  const visit = (v: JsonValue, path: string): void => {
    if (Array.isArray(v)) {
      const records = v.filter(isRecord);
      if (records.length > 0 && records.length === v.length) {
        const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
        if (records.every((r) => Object.values(r).every(isCell))) {
          const rows = records.map((r) => columns.map((k) => (r[k] ?? null) as TableCell));
          findings.push(...checkTable({ columns: columns.map((k) => `${path}[].${k}`), rows }, context));
          return;
        }
      }
      v.forEach((item, i) => visit(item, `${path}[${i}]`));
    } else if (isRecord(v)) {
      for (const [k, item] of Object.entries(v)) {
        const p = path === '' ? k : `${path}.${k}`;
        if (typeof item === 'number' && isCountName(k)) {
          const list = scalarCounts.get(k) ?? [];
          list.push(item);
          scalarCounts.set(k, list);
        }
        visit(item, p);
      }
    } else if (typeof v === 'string') {
      // Bare numbers are not flagged here: a JSON number is far more often a measure than an NHS number.
      const kind = identifierKind(v);
      if (kind) identifiers.set(kind, (identifiers.get(kind) ?? 0) + 1);
    }
  };
  visit(value, '');
  for (const [kind, n] of identifiers) {
    findings.push({ code: 'identifier_values', severity: 'block', message: `${n} value(s) contain ${IDENTIFIER_WORDS[kind]}.` });
  }
  for (const [key, counts] of scalarCounts) {
    findings.push(
      ...checkTable({ columns: [key], rows: counts.map((n) => [n]) }, { ...context, patientsRead: 0 }).filter(
        (f) => f.code !== 'high_cardinality_column',
      ),
    );
  }
  return dedupe(findings);
}

function checkText(text: string): Finding[] {
  const findings: Finding[] = [
    {
      code: 'free_text_requires_review',
      severity: 'info',
      message: 'Free text cannot be checked automatically beyond identifier patterns: read it before release.',
    },
  ];
  if (PSEUDONYM.test(text))
    findings.push({ code: 'identifier_values', severity: 'block', message: 'The text contains Harbour pseudonyms.' });
  if (NHS_LIKE_IN_TEXT.test(text))
    findings.push({ code: 'identifier_values', severity: 'warn', message: 'The text contains NHS-number-like 10-digit values.' });
  if (UUID_IN_TEXT.test(text))
    findings.push({ code: 'identifier_values', severity: 'warn', message: 'The text contains UUID-like identifiers.' });
  return findings;
}

function checkPng(bytes: Uint8Array): Finding[] {
  const header = parsePngHeader(bytes);
  if (!header) return [{ code: 'invalid_image', severity: 'block', message: 'The output is not a well-formed PNG image.' }];
  const findings: Finding[] = [
    {
      code: 'image_requires_review',
      severity: 'warn',
      message: `Image (${header.width}×${header.height}) requires visual review: images can show patient-level data.`,
    },
  ];
  const greyscale = header.colorType === 0 || header.colorType === 4;
  const minSide = Math.min(header.width, header.height);
  // Radiology images are greyscale, often 16-bit; charts are usually colour at 8 bits.
  if ((greyscale || header.bitDepth === 16) && minSide >= MEDICAL_MIN_SIDE) {
    findings.push({
      code: 'possible_medical_image',
      severity: 'block',
      message: `A ${header.bitDepth}-bit ${greyscale ? 'greyscale' : 'colour'} image of ${header.width}×${header.height} looks like a medical image.`,
    });
  } else if (header.width === header.height && MEDICAL_MATRIX_SIDES.has(header.width)) {
    findings.push({
      code: 'possible_medical_image',
      severity: 'warn',
      message: `A square ${header.width}×${header.height} image matches a common imaging matrix size.`,
    });
  }
  return findings;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.code}|${f.severity}|${f.column ?? ''}|${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
