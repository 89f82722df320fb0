/**
 * Minimal structural types for FHIR R4 JSON. Resources are handled generically (the profile is data,
 * not a class per resource), so only the members the pipeline itself reads are named.
 */
export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: Record<string, unknown>;
  [element: string]: unknown;
}

export interface FhirReference {
  reference?: string;
  type?: string;
  identifier?: FhirIdentifier;
  display?: string;
}

export interface FhirIdentifier {
  use?: string;
  system?: string;
  value?: string;
  type?: { coding?: { system?: string; code?: string }[] };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
