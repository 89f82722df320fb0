import { isObject, type FhirResource } from './fhir-types.js';
import { isValidFhirDate } from './fhir-dates.js';

/**
 * FHIR R4 Consent (§ Consent, 4.0.1), read for enforcement. Consent.provision is a tree: the root
 * provision's type (permit | deny, ValueSet consent-provision-type) is the base decision and nested
 * provisions are exceptions to it, each optionally limited by period, actor, action, purpose,
 * class, code and data.
 */
export interface ConsentCoding {
  system?: string;
  code?: string;
}

export interface ParsedProvision {
  type?: 'permit' | 'deny';
  period?: { start?: string; end?: string };
  actors: { roles: ConsentCoding[]; reference?: string }[];
  actions: ConsentCoding[];
  purposes: ConsentCoding[];
  classes: ConsentCoding[];
  codes: ConsentCoding[];
  data: { meaning?: string; reference?: string }[];
  provisions: ParsedProvision[];
}

export interface ParsedConsent {
  id?: string;
  /** draft | proposed | active | rejected | inactive | entered-in-error (R4 consent-state-codes). */
  status: string;
  /** Only `active` consents are enforceable. */
  active: boolean;
  scope: ConsentCoding[];
  categories: ConsentCoding[];
  dateTime?: string;
  policies: { authority?: string; uri?: string }[];
  policyRule: ConsentCoding[];
  provision?: ParsedProvision;
}

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function codings(v: unknown): ConsentCoding[] {
  const out: ConsentCoding[] = [];
  for (const x of arr(v)) {
    if (!isObject(x)) continue;
    if (Array.isArray(x.coding)) out.push(...codings(x.coding));
    else if (typeof x.code === 'string') out.push({ system: typeof x.system === 'string' ? x.system : undefined, code: x.code });
  }
  return out;
}

function refOf(v: unknown): string | undefined {
  return isObject(v) && typeof v.reference === 'string' ? v.reference : undefined;
}

function parseProvision(p: unknown, depth = 0): ParsedProvision | undefined {
  if (!isObject(p) || depth > 32) return undefined;
  const period = isObject(p.period)
    ? {
        start: typeof p.period.start === 'string' ? p.period.start : undefined,
        end: typeof p.period.end === 'string' ? p.period.end : undefined,
      }
    : undefined;
  return {
    type: p.type === 'permit' || p.type === 'deny' ? p.type : undefined,
    period,
    actors: arr(p.actor)
      .filter(isObject)
      .map((a) => ({ roles: codings(a.role), reference: refOf(a.reference) })),
    actions: codings(p.action),
    purposes: codings(p.purpose),
    classes: codings(p.class),
    codes: codings(p.code),
    data: arr(p.data)
      .filter(isObject)
      .map((d) => ({ meaning: typeof d.meaning === 'string' ? d.meaning : undefined, reference: refOf(d.reference) })),
    provisions: arr(p.provision)
      .map((c) => parseProvision(c, depth + 1))
      .filter((c): c is ParsedProvision => c !== undefined),
  };
}

/** Read the enforceable parts of a Consent resource (patient link is left to the caller). */
export function parseConsent(resource: FhirResource): ParsedConsent {
  const status = typeof resource.status === 'string' ? resource.status : 'unknown';
  return {
    id: resource.id,
    status,
    active: status === 'active',
    scope: codings(resource.scope),
    categories: codings(resource.category),
    dateTime: typeof resource.dateTime === 'string' ? resource.dateTime : undefined,
    policies: arr(resource.policy)
      .filter(isObject)
      .map((p) => ({
        authority: typeof p.authority === 'string' ? p.authority : undefined,
        uri: typeof p.uri === 'string' ? p.uri : undefined,
      })),
    policyRule: codings(resource.policyRule),
    provision: parseProvision(resource.provision),
  };
}

/** What a use must match for a provision to apply to it. */
export interface ConsentQuery {
  /** The instant of the use (FHIR dateTime); defaults to now. */
  at?: string;
  /** Purpose of use (e.g. v3-ActReason HRESCH "healthcare research"). */
  purpose?: ConsentCoding;
  /** A reference naming the study/project, e.g. `ResearchStudy/abc`: matches actor or data references. */
  projectReference?: string;
  /** Action (consent-action: collect | access | use | disclose | correct). */
  action?: ConsentCoding;
}

export type ConsentDecision = 'permit' | 'deny' | 'not-specified';

const sameCoding = (a: ConsentCoding, b: ConsentCoding): boolean =>
  a.code === b.code && (a.system === undefined || b.system === undefined || a.system === b.system);

function inPeriod(at: string, period: ParsedProvision['period']): boolean {
  if (!period) return true;
  // Compare on the date part: FHIR dates of different precision compare by their common prefix.
  const d = at.slice(0, 10);
  if (period.start && isValidFhirDate(period.start) && d < period.start.slice(0, 10)) return false;
  if (period.end && isValidFhirDate(period.end) && d > period.end.slice(0, 10)) return false;
  return true;
}

function applies(p: ParsedProvision, q: Required<Pick<ConsentQuery, 'at'>> & ConsentQuery): boolean {
  if (!inPeriod(q.at, p.period)) return false;
  if (p.purposes.length > 0 && (!q.purpose || !p.purposes.some((c) => sameCoding(c, q.purpose!)))) return false;
  if (p.actions.length > 0 && q.action && !p.actions.some((c) => sameCoding(c, q.action!))) return false;
  const refs = [...p.actors.map((a) => a.reference), ...p.data.map((d) => d.reference)].filter((r): r is string => r !== undefined);
  if (refs.length > 0 && (!q.projectReference || !refs.includes(q.projectReference))) return false;
  return true;
}

function decide(p: ParsedProvision, q: Required<Pick<ConsentQuery, 'at'>> & ConsentQuery, inherited: ConsentDecision): ConsentDecision {
  if (!applies(p, q)) return inherited;
  let decision: ConsentDecision = p.type ?? inherited;
  // Nested provisions are exceptions to their parent; the deepest applicable one decides.
  for (const child of p.provisions) {
    const d = decide(child, q, decision);
    if (d !== decision) {
      decision = d;
      break;
    }
  }
  return decision;
}

/**
 * Decide whether a patient's consents permit a use. Only active consents count; when several
 * apply, the most recent (Consent.dateTime) wins. Without an applicable consent the answer is
 * `not-specified` and the caller's policy (e.g. the National Data Opt-out) decides.
 */
export function evaluateConsent(consents: readonly ParsedConsent[], query: ConsentQuery = {}): ConsentDecision {
  const q = { ...query, at: query.at ?? new Date().toISOString() };
  const ordered = consents.filter((c) => c.active && c.provision).sort((a, b) => (b.dateTime ?? '').localeCompare(a.dateTime ?? ''));
  for (const c of ordered) {
    const d = decide(c.provision!, q, 'not-specified');
    if (d !== 'not-specified') return d;
  }
  return 'not-specified';
}
