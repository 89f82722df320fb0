import type { ProjectKeys } from '@harbour/pseudonymisation';
import { canonicalNhsNumber, isNhsNumberSystem, postcodeArea, postcodeOutward } from '@harbour/nhs';
import { isObject, type FhirResource } from './fhir-types.js';
import { shiftDate, yearOf } from './fhir-dates.js';
import {
  CODEABLE,
  DEFAULT_EHR_PROFILE,
  DEID_PROFILE_TAG_SYSTEM,
  PSEUDED_SECURITY,
  profileOptionsLabel,
  type DeidProfile,
  type ResourceProfile,
  type Rule,
  type StructRule,
} from './profile.js';
import { humanNameParts, makeScrubber, type KnownIdentifiers, type Scrubber } from './scrub.js';
import type { RecordError } from './rejections.js';

/** The patient a resource belongs to, as the de-identifier needs it. */
export interface PatientContext {
  /** Canonical NHS number (10 digits, Modulus 11 valid). */
  nhsNumber: string;
  /** `keys.pseudonym(nhsNumber)`: Patient.id and every patient reference. */
  pseudonym: string;
  /** `keys.dateOffsetDays(nhsNumber)`: added to every date of this patient. */
  dateOffsetDays: number;
  /** Known identifiers, for scrubbing free text (only needed when the profile scrubs). */
  known?: KnownIdentifiers;
}

/** Result of looking up the patient behind a `Patient/<id>` reference. */
export type PatientLookup = { status: 'ok' | 'opted_out'; nhsNumber: string } | { status: 'rejected' } | undefined;

/** Everything the de-identifier needs besides the resource and its patient. */
export interface DeidContext {
  keys: ProjectKeys;
  profile: DeidProfile;
  /** Resolve a FHIR Patient id (or a Bundle fullUrl of a Patient) to the patient's NHS number. */
  resolvePatient(id: string): PatientLookup;
  /** Bundle-local fullUrl → `Type/id` (R4 §2.36.4.1), for urn:uuid references. */
  urlMap?: ReadonlyMap<string, string>;
  /** Names of a Practitioner (by original id), added to the scrub list when a record references them. */
  practitionerNames?(id: string): readonly string[] | undefined;
}

export type DeidResult = { ok: true; resource: FhirResource } | { ok: false; error: RecordError };

/** Build a PatientContext from keys; pseudonym and offset are the same functions DICOM uses. */
export function patientContext(keys: ProjectKeys, nhsNumber: string, known?: KnownIdentifiers): PatientContext {
  return { nhsNumber, pseudonym: keys.pseudonym(nhsNumber), dateOffsetDays: keys.dateOffsetDays(nhsNumber), known };
}

/** Identifier type code for accession numbers (HL7 v2 table 0203 "ACSN"). */
const ACSN = 'ACSN';
/** recordId namespace for accession numbers, shared with the DICOM AccessionNumber mapping. */
export const ACCESSION_RECORD_NAMESPACE = 'accession';
/** FHIR R4 ImagingStudy.identifier system for DICOM Study Instance UIDs. */
export const DICOM_UID_SYSTEM = 'urn:dicom:uid';

/** `Type/id`, `https://server/fhir/Type/id`, `Type/id/_history/n` → { type, id } (R4 §2.3.0 References). */
export function parseLiteralReference(ref: string): { type: string; id: string } | undefined {
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(ref);
  if (!m) return undefined;
  if (/^[a-z]/.test(ref) && !/^https?:\/\//.test(ref)) return undefined; // urn:, mailto:, relative oddities
  return { type: m[1]!, id: m[2]! };
}

/** Map a DICOM UID, keeping the `urn:oid:` form when the input used it (FHIR `oid` type). */
export function mapDicomUid(keys: ProjectKeys, value: string): string {
  const prefixed = value.startsWith('urn:oid:');
  const mapped = keys.uid(prefixed ? value.slice(8) : value);
  return prefixed ? `urn:oid:${mapped}` : mapped;
}

const XHTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

function narrativeToText(div: string): string {
  return div
    .replace(/<(br|\/p|\/div|\/li|\/tr|\/h\d)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

const TEXTUAL_CONTENT = /^(text\/|application\/(json|xml|fhir\+json|fhir\+xml|xhtml\+xml|rtf)\b)/i;

class Walker {
  error: RecordError | undefined;
  private scrubber: Scrubber | undefined;
  private extraNames: string[] = [];
  readonly contained = new Map<string, string>();

  constructor(
    private readonly ctx: DeidContext,
    private readonly patient: PatientContext | undefined,
  ) {}

  get scrub(): boolean {
    return this.ctx.profile.freeText === 'scrub';
  }

  addNames(names: readonly string[]): void {
    this.extraNames.push(...names);
    this.scrubber = undefined;
  }

  scrubText(text: string): string {
    if (!this.scrubber) this.scrubber = makeScrubber(this.patient?.known, this.extraNames);
    return this.scrubber(text);
  }

  fail(code: RecordError['code'], message: string): undefined {
    this.error ??= { code, message };
    return undefined;
  }

  apply(value: unknown, rule: Rule, name: string): unknown {
    if (rule === 'address') return this.address(value);
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (const v of value) {
        const r = this.applyOne(v, rule, name);
        if (r !== undefined) out.push(r);
      }
      return out.length > 0 ? out : undefined;
    }
    return this.applyOne(value, rule, name);
  }

  private applyOne(value: unknown, rule: Rule, name: string): unknown {
    if (typeof rule !== 'string') return isObject(value) ? this.struct(value, rule, name) : undefined;
    switch (rule) {
      case 'keep':
        return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
      case 'date':
        return this.date(value, name);
      case 'birthDate':
        return this.birthDate(value);
      case 'reference':
        return this.reference(value);
      case 'identifier':
        return this.identifier(value);
      case 'imagingIdentifier':
        return this.imagingIdentifier(value);
      case 'dicomUid':
        return typeof value === 'string' && value !== '' ? mapDicomUid(this.ctx.keys, value) : undefined;
      case 'freeText':
        return typeof value === 'string' && this.scrub ? this.scrubText(value) : undefined;
      case 'narrative':
        return this.narrative(value);
      case 'attachment':
        return this.attachment(value);
      case 'address':
        return this.address(value);
      case 'ethnicity':
        return this.ethnicity(value);
      case 'remove':
        return undefined;
    }
  }

  struct(value: Record<string, unknown>, rule: StructRule, name: string): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    let any = false;
    for (const key in value) {
      const v = value[key];
      let r: unknown;
      if (key === 'extension') r = this.extensions(v, rule.extensions);
      else if (key === 'modifierExtension') {
        if (Array.isArray(v) && v.length > 0)
          return this.fail('unsupported_modifier_extension', `Unsupported modifierExtension in ${name}`);
        continue;
      } else {
        const child = rule.elements[key];
        if (child === undefined) continue; // not listed: removed (fail closed)
        r = this.apply(v, child, key);
      }
      if (r !== undefined) {
        out[key] = r;
        any = true;
      }
    }
    return any ? out : undefined;
  }

  extensions(value: unknown, allowed: Record<string, Rule> | undefined): unknown[] | undefined {
    if (!allowed || !Array.isArray(value)) return undefined;
    const out: unknown[] = [];
    for (const ext of value) {
      if (!isObject(ext) || typeof ext.url !== 'string') continue;
      const rule = allowed[ext.url];
      if (rule === undefined) continue;
      const r = this.applyOne(ext, rule, 'extension');
      if (isObject(r)) out.push({ url: ext.url, ...r });
    }
    return out.length > 0 ? out : undefined;
  }

  private date(value: unknown, name: string): string | undefined {
    if (typeof value !== 'string') return undefined;
    // Outside the Patient compartment there is no offset to apply: remove rather than leak.
    if (!this.patient) return undefined;
    const shifted = shiftDate(value, this.patient.dateOffsetDays);
    if (shifted === undefined) return this.fail('invalid_date', `Invalid date in ${name}`);
    return shifted;
  }

  private birthDate(value: unknown): string | undefined {
    if (typeof value !== 'string' || !this.patient) return undefined;
    const shifted = shiftDate(value, this.patient.dateOffsetDays);
    if (shifted === undefined) return this.fail('invalid_date', 'Invalid date in birthDate');
    const y = yearOf(shifted)!;
    switch (this.ctx.profile.birthDate) {
      case 'year':
        return String(y).padStart(4, '0');
      case 'band5':
        return String(y - (y % 5)).padStart(4, '0');
      case 'band10':
        return String(y - (y % 10)).padStart(4, '0');
      case 'remove':
        return undefined;
    }
  }

  private address(value: unknown): unknown {
    const policy = this.ctx.profile.postcode;
    if (policy === 'remove') return undefined;
    const list = (Array.isArray(value) ? value : [value]).filter(isObject);
    // One address only (several historical districts would narrow a person down): the current
    // home address, else the first with a postcode.
    const current = (a: Record<string, unknown>): boolean => !isObject(a.period) || a.period.end === undefined;
    const pick =
      list.find((a) => a.use === 'home' && current(a) && typeof a.postalCode === 'string') ??
      list.find((a) => current(a) && typeof a.postalCode === 'string') ??
      list.find((a) => typeof a.postalCode === 'string');
    if (!pick) return undefined;
    const pc = policy === 'area' ? postcodeArea(pick.postalCode as string) : postcodeOutward(pick.postalCode as string);
    return pc ? [{ postalCode: pc }] : undefined;
  }

  private ethnicity(value: unknown): Record<string, unknown> | undefined {
    if (this.ctx.profile.ethnicity !== 'keep' || !isObject(value)) return undefined;
    const cc = this.apply(value.valueCodeableConcept, { elements: { coding: CODEABLE.elements.coding! } }, 'ethnicity');
    return cc !== undefined ? { valueCodeableConcept: cc } : undefined;
  }

  private reference(value: unknown): Record<string, unknown> | undefined {
    if (!isObject(value)) return undefined;
    const out: Record<string, unknown> = {};
    let refOut: string | undefined;
    if (typeof value.reference === 'string') {
      const r = value.reference;
      if (r.startsWith('#')) {
        const mapped = this.contained.get(r.slice(1));
        if (mapped !== undefined) refOut = `#${mapped}`;
      } else {
        const resolved = this.ctx.urlMap?.get(r) ?? r;
        const lit = parseLiteralReference(resolved);
        if (lit) refOut = this.rewriteTarget(lit.type, lit.id, r);
      }
    } else if (isObject(value.identifier) && isNhsNumberSystem(value.identifier.system) && typeof value.identifier.value === 'string') {
      // Logical reference by NHS number: becomes a literal reference to the pseudonymised Patient.
      const nhs = canonicalNhsNumber(value.identifier.value);
      if (nhs !== undefined && this.patient && nhs === this.patient.nhsNumber) refOut = `Patient/${this.patient.pseudonym}`;
    }
    if (refOut !== undefined) out.reference = refOut;
    if (typeof value.type === 'string' && /^[A-Z][A-Za-z]+$/.test(value.type)) out.type = value.type;
    if (typeof value.display === 'string' && this.scrub) out.display = this.scrubText(value.display);
    return refOut !== undefined || out.display !== undefined ? out : undefined;
  }

  private rewriteTarget(type: string, id: string, original: string): string | undefined {
    if (type === 'Patient') {
      const lookup = this.ctx.resolvePatient(id) ?? this.ctx.resolvePatient(original);
      // A reference to any other patient is dropped: it would leak a link between two people.
      if (lookup && lookup.status !== 'rejected' && this.patient && lookup.nhsNumber === this.patient.nhsNumber) {
        return `Patient/${this.patient.pseudonym}`;
      }
      return undefined;
    }
    return `${type}/${this.ctx.keys.recordId(type, id)}`;
  }

  private identifier(value: unknown): Record<string, unknown> | undefined {
    if (!isObject(value) || typeof value.value !== 'string' || value.value === '') return undefined;
    // An NHS number anywhere but Patient is dropped: the pseudonym replaces it.
    if (isNhsNumberSystem(value.system)) return undefined;
    const system = typeof value.system === 'string' ? value.system : '';
    const isAccession =
      isObject(value.type) && Array.isArray(value.type.coding) && value.type.coding.some((c: unknown) => isObject(c) && c.code === ACSN);
    const out: Record<string, unknown> = {};
    if (typeof value.use === 'string') out.use = value.use;
    const type = this.apply(value.type, CODEABLE, 'identifier.type');
    if (type !== undefined) out.type = type;
    if (system) out.system = system;
    out.value = isAccession
      ? this.ctx.keys.recordId(ACCESSION_RECORD_NAMESPACE, value.value)
      : this.ctx.keys.recordId(`identifier|${system}`, value.value);
    return out;
  }

  private imagingIdentifier(value: unknown): Record<string, unknown> | undefined {
    if (isObject(value) && value.system === DICOM_UID_SYSTEM && typeof value.value === 'string') {
      const out: Record<string, unknown> = {};
      if (typeof value.use === 'string') out.use = value.use;
      out.system = DICOM_UID_SYSTEM;
      out.value = mapDicomUid(this.ctx.keys, value.value);
      return out;
    }
    return this.identifier(value);
  }

  private narrative(value: unknown): Record<string, unknown> | undefined {
    if (!this.scrub || !isObject(value) || typeof value.div !== 'string') return undefined;
    const text = this.scrubText(narrativeToText(value.div));
    if (text === '') return undefined;
    const escaped = text.replace(/[&<>"]/g, (c) => XHTML_ESCAPES[c]!).replace(/\n+/g, '<br/>');
    // Rebuilt from plain text: attributes, links and images of the original never pass through.
    return { status: 'additional', div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${escaped}</p></div>` };
  }

  private attachment(value: unknown): Record<string, unknown> | undefined {
    if (!isObject(value)) return undefined;
    const out: Record<string, unknown> = {};
    if (typeof value.contentType === 'string') out.contentType = value.contentType;
    if (typeof value.language === 'string') out.language = value.language;
    const creation = this.date(value.creation, 'attachment.creation');
    if (creation !== undefined) out.creation = creation;
    if (typeof value.title === 'string' && this.scrub) out.title = this.scrubText(value.title);
    // url (points back into the source system), hash and size (of identifiable bytes) are dropped.
    if (typeof value.data === 'string' && this.scrub) {
      const ct = typeof value.contentType === 'string' ? value.contentType : '';
      if (ct === '' || TEXTUAL_CONTENT.test(ct)) {
        try {
          const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value.data, 'base64'));
          out.data = Buffer.from(this.scrubText(text), 'utf8').toString('base64');
        } catch {
          // not text after all: cannot be scrubbed, so it is dropped
        }
      }
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
}

function buildMeta(profile: DeidProfile): Record<string, unknown> {
  return {
    security: [{ ...PSEUDED_SECURITY }],
    tag: [{ system: DEID_PROFILE_TAG_SYSTEM, code: profile.version, display: profileOptionsLabel(profile) }],
  };
}

/** Gather person names a record mentions (reference displays, contained people, practitioners). */
function collectRecordNames(value: unknown, ctx: DeidContext, out: string[], depth = 0): void {
  if (depth > 64) return;
  if (Array.isArray(value)) {
    for (const v of value) collectRecordNames(v, ctx, out, depth + 1);
    return;
  }
  if (!isObject(value)) return;
  if (typeof value.reference === 'string') {
    const lit = parseLiteralReference(ctx.urlMap?.get(value.reference) ?? value.reference);
    if (lit && /^(Practitioner|PractitionerRole|RelatedPerson|Patient|Person)$/.test(lit.type)) {
      if (typeof value.display === 'string') out.push(value.display);
      if (lit.type === 'Practitioner') out.push(...(ctx.practitionerNames?.(lit.id) ?? []));
    }
  }
  if (
    typeof value.resourceType === 'string' &&
    value.name !== undefined &&
    /^(Practitioner|RelatedPerson|Patient|Person)$/.test(value.resourceType)
  ) {
    out.push(...humanNameParts(value.name));
  }
  if (typeof value.authorString === 'string') out.push(value.authorString);
  for (const k in value) {
    const v = value[k];
    if (v !== null && typeof v === 'object') collectRecordNames(v, ctx, out, depth + 1);
  }
}

function deidentifyInto(
  resource: FhirResource,
  rp: ResourceProfile,
  w: Walker,
  ctx: DeidContext,
  patient: PatientContext | undefined,
  idOut: string | undefined,
  topLevel: boolean,
): FhirResource | undefined {
  const out: FhirResource = { resourceType: resource.resourceType };
  if (idOut !== undefined) out.id = idOut;
  if (topLevel) out.meta = buildMeta(ctx.profile);
  const rootRule: StructRule = { elements: rp.elements, extensions: rp.extensions };
  for (const key in resource) {
    if (key === 'resourceType' || key === 'id' || key === 'meta' || key === 'implicitRules') continue;
    const v = resource[key];
    let r: unknown;
    if (key === 'text') r = w.apply(v, 'narrative', 'text');
    else if (key === 'language') r = typeof v === 'string' ? v : undefined;
    else if (key === 'contained') {
      if (!topLevel) continue; // contained resources SHALL NOT contain others (R4 §2.32.0.1)
      r = deidentifyContained(v, w, ctx, patient);
    } else if (key === 'extension') r = w.extensions(v, rp.extensions);
    else if (key === 'modifierExtension') {
      if (Array.isArray(v) && v.length > 0)
        return w.fail('unsupported_modifier_extension', `Unsupported modifierExtension on ${resource.resourceType}`);
      continue;
    } else {
      const rule = rootRule.elements[key];
      if (rule === undefined) continue;
      r = w.apply(v, rule, key);
    }
    if (w.error) return undefined;
    if (r !== undefined) out[key] = r;
  }
  return w.error ? undefined : out;
}

function deidentifyContained(value: unknown, w: Walker, ctx: DeidContext, patient: PatientContext | undefined): unknown[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: unknown[] = [];
  for (const c of value) {
    if (!isObject(c) || typeof c.resourceType !== 'string' || typeof c.id !== 'string') continue;
    const rp = ctx.profile.resources[c.resourceType];
    const newId = w.contained.get(c.id);
    // Contained Patients and unprofiled types are dropped; references to them are dropped with them.
    if (!rp || c.resourceType === 'Patient' || newId === undefined) continue;
    const r = deidentifyInto(c as FhirResource, rp, w, ctx, patient, newId, false);
    if (w.error) return undefined;
    if (r) out.push(r);
  }
  return out.length > 0 ? out : undefined;
}

/**
 * De-identify one resource under the profile (fail closed: only listed elements survive).
 * `patient` is the patient the resource belongs to (required for Patient-compartment types; its
 * pseudonym and date offset are used); `ctx` carries the project keys, profile and the resolver for
 * patient references. Returns the new resource or the reason it could not be de-identified.
 */
export function deidentifyResource(resource: FhirResource, patient: PatientContext | undefined, ctx: DeidContext): DeidResult {
  const profile = ctx.profile ?? DEFAULT_EHR_PROFILE;
  const rp = profile.resources[resource.resourceType];
  if (!rp)
    return {
      ok: false,
      error: { code: 'unsupported_resource_type', message: `No de-identification profile for ${resource.resourceType}` },
    };
  if (rp.patientCompartment && !patient) {
    return { ok: false, error: { code: 'missing_patient_reference', message: `${resource.resourceType} is not linked to a patient` } };
  }
  const type = resource.resourceType;
  let idOut: string | undefined;
  if (type === 'Patient') idOut = patient!.pseudonym;
  else if (typeof resource.id === 'string' && resource.id !== '') idOut = ctx.keys.recordId(type, resource.id);

  const w = new Walker(ctx, patient);
  // Contained ids become c1, c2, …: local ids are free text too (they can hold an MRN).
  if (Array.isArray(resource.contained)) {
    let n = 0;
    for (const c of resource.contained) {
      if (
        isObject(c) &&
        typeof c.id === 'string' &&
        typeof c.resourceType === 'string' &&
        profile.resources[c.resourceType] &&
        c.resourceType !== 'Patient'
      ) {
        w.contained.set(c.id, `c${++n}`);
      }
    }
  }
  if (profile.freeText === 'scrub') {
    const names: string[] = [];
    collectRecordNames(resource, ctx, names);
    if (names.length > 0) w.addNames(names);
  }
  const out = deidentifyInto(resource, rp, w, ctx, patient, idOut, true);
  if (!out || w.error) return { ok: false, error: w.error ?? { code: 'invalid_json', message: 'Resource could not be de-identified' } };
  return { ok: true, resource: out };
}

/**
 * Record-id namespaces worth memoising: resource types that many records reference (a resource's
 * own id is seen once, so caching it would only churn memory).
 */
export const CACHED_RECORD_NAMESPACES: ReadonlySet<string> = new Set([
  'Encounter',
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'Location',
  'Medication',
  'Observation',
]);

/**
 * Memoise a project's keyed functions (each call is an HMAC). Results are pure functions of the key
 * and input, so caching changes nothing but speed; each cache is cleared when it reaches
 * `maxEntries`, keeping memory bounded on any extract size.
 */
export function withKeyCache(keys: ProjectKeys, maxEntries = 200_000): ProjectKeys {
  const memo = <R>(fn: (a: string) => R): ((a: string) => R) => {
    const cache = new Map<string, R>();
    return (a: string): R => {
      let r = cache.get(a);
      if (r === undefined) {
        r = fn(a);
        if (cache.size >= maxEntries) cache.clear();
        cache.set(a, r);
      }
      return r;
    };
  };
  const pseudonym = memo((n) => keys.pseudonym(n));
  const dateOffsetDays = memo((n) => keys.dateOffsetDays(n));
  const byNamespace = new Map<string, (id: string) => string>();
  for (const ns of CACHED_RECORD_NAMESPACES)
    byNamespace.set(
      ns,
      memo((id) => keys.recordId(ns, id)),
    );
  return {
    projectId: keys.projectId,
    pseudonym,
    dateOffsetDays,
    uid: (u: string) => keys.uid(u),
    recordId: (ns: string, original: string) => {
      const cached = byNamespace.get(ns);
      return cached ? cached(original) : keys.recordId(ns, original);
    },
  };
}
