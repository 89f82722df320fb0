import { camelKeys } from './client.js';

/**
 * Shapes the console reads. Fields are optional where API modules are still landing; pages
 * show "—" for what is missing rather than failing.
 */
export interface Conditions {
  suppressionThreshold?: number;
  roundingBase?: number;
  noImaging?: boolean;
  resourceTypes?: string[];
  requireStudyConsent?: boolean;
  note?: string;
}

export interface Decision {
  id?: string;
  trustId: string;
  trustName?: string;
  trust?: { name?: string; odsCode?: string };
  guardianId?: string;
  decision: 'approve' | 'reject' | 'request_changes';
  reason: string;
  conditions?: Conditions;
  endDate?: string | null;
  createdAt?: string;
}

export interface RequestTrust {
  trustId: string;
  trustName?: string;
  trust?: { name?: string; odsCode?: string };
  status: string;
  quorum?: number;
  conditions?: Conditions;
  endDate?: string | null;
  decidedAt?: string | null;
}

export interface AccessRequest {
  id: string;
  partnerId: string;
  partnerName?: string;
  partner?: { name?: string };
  title: string;
  purpose?: string;
  laySummary?: string;
  legalBasisArt6?: string;
  legalBasisArt9?: string;
  commercialUse?: boolean;
  duoCodes?: string[];
  requestedData?: { ehrResourceTypes?: string[]; imagingModalities?: string[] };
  deidentification?: { ehrProfile?: string; dicomOptions?: string[] };
  requestedDurationDays?: number;
  status: string;
  statusReason?: string | null;
  submittedAt?: string | null;
  activatedAt?: string | null;
  createdAt?: string;
  endDate?: string | null;
  trusts?: RequestTrust[];
  decisions?: Decision[];
  usage?: Record<string, number>;
}

export interface Finding {
  rule?: string;
  code?: string;
  severity?: string;
  message?: string;
  detail?: string;
  location?: string;
}

export interface AirlockOutput {
  id: string;
  projectId?: string;
  projectTitle?: string;
  jobId?: string;
  name?: string;
  filename?: string;
  kind?: string;
  contentType?: string;
  mediaType?: string;
  sizeBytes?: number;
  status: string;
  createdAt?: string;
  findings?: Finding[];
  reviews?: { reviewerId?: string; decision: string; reason: string; createdAt?: string }[];
}

export interface AuditEntry {
  seq: string | number;
  at: string;
  action: string;
  outcome: string;
  actorType?: string;
  actorId?: string | null;
  actorRole?: string | null;
  actorOrgId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  projectId?: string | null;
  trustId?: string | null;
  correlationId?: string | null;
  payload?: Record<string, unknown>;
  hash?: string;
}

export interface Trust {
  id: string;
  odsCode: string;
  name: string;
  createdAt?: string;
}

export interface Partner {
  id: string;
  name: string;
  createdAt?: string;
}

export interface ApiClientInfo {
  id: string;
  name: string;
  partnerId?: string | null;
  trustId?: string | null;
  jwksUrl?: string | null;
  jwks?: { keys: Record<string, unknown>[] } | null;
  keyCount?: number;
  disabled?: boolean;
  createdAt?: string;
}

export function trustLabel(t: { trustName?: string; trust?: { name?: string; odsCode?: string }; trustId: string }): string {
  return t.trustName ?? t.trust?.name ?? t.trustId.slice(0, 8);
}

export function partnerLabel(r: { partnerName?: string; partner?: { name?: string }; partnerId?: string }): string {
  return r.partnerName ?? r.partner?.name ?? (r.partnerId ? r.partnerId.slice(0, 8) : '—');
}

/**
 * A request or project, whatever its envelope: the access module answers
 * `{ request, trusts, decisions }` with SQL-spelled rows; pages read one camelCase shape.
 */
export function normaliseRequest(x: unknown): AccessRequest {
  const o = (x ?? {}) as Record<string, unknown>;
  const base = o['request'] && typeof o['request'] === 'object' ? camelKeys(o['request'] as Record<string, unknown>) : camelKeys(o);
  const trusts = Array.isArray(o['trusts']) ? o['trusts'] : Array.isArray(base['trusts']) ? base['trusts'] : undefined;
  const decisions = Array.isArray(o['decisions']) ? o['decisions'] : Array.isArray(base['decisions']) ? base['decisions'] : undefined;
  return {
    ...(base as unknown as AccessRequest),
    ...(trusts ? { trusts: trusts.map((t) => camelKeys(t as RequestTrust)) } : {}),
    ...(decisions ? { decisions: decisions.map((d) => camelKeys(d as Decision)) } : {}),
  };
}
