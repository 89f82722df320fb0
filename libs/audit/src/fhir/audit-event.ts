import type { AuditRecord } from '../audit-record.js';

/** Harbour's own code systems and identifier systems (URNs: they name, they do not resolve). */
export const HARBOUR_AUDIT_ACTION_SYSTEM = 'urn:harbour:audit-action';
export const HARBOUR_ACTOR_SYSTEM = 'urn:harbour:actor';
export const HARBOUR_TARGET_SYSTEM = 'urn:harbour:target';
export const HARBOUR_CHAIN_SYSTEM = 'urn:harbour:audit-chain';

/** A FHIR R4 AuditEvent (only the members Harbour fills). http://hl7.org/fhir/R4/auditevent.html */
export interface FhirAuditEvent {
  resourceType: 'AuditEvent';
  id: string;
  type: { system: string; code: string; display: string };
  subtype: { system: string; code: string }[];
  action: 'C' | 'R' | 'U' | 'D' | 'E';
  recorded: string;
  outcome: '0' | '4' | '8';
  agent: {
    type?: { coding: { system: string; code: string }[] };
    who: { identifier: { system: string; value: string } };
    requestor: boolean;
    role?: { text: string }[];
  }[];
  source: { site: string; observer: { display: string }; type: { system: string; code: string; display: string }[] };
  entity: {
    what: { identifier: { system: string; value: string } };
    type?: { system: string; code: string };
    detail?: { type: string; valueString: string }[];
  }[];
}

/** AuditEvent.action (value set audit-event-action): from the verb of `domain.verb_past`. */
function fhirAction(action: string): FhirAuditEvent['action'] {
  if (action.startsWith('auth.')) return 'E';
  if (/\.(created|registered|granted)$/.test(action)) return 'C';
  if (/\.(exported|verified)$/.test(action)) return 'R';
  return 'U';
}

/**
 * Map one trail entry to a FHIR R4 AuditEvent, for SIEMs and NHS audit tooling.
 * Authentication events use DICOM's "User Authentication" (DCM 110114, as IHE ATNA does); the rest
 * are "RESTful Operation". The chain position and hashes travel as an entity so the FHIR copy can
 * be tied back to the signed chain.
 */
export function toFhirAuditEvent(r: AuditRecord): FhirAuditEvent {
  const auth = r.action.startsWith('auth.');
  const entity: FhirAuditEvent['entity'] = [
    {
      what: { identifier: { system: HARBOUR_CHAIN_SYSTEM, value: String(r.seq) } },
      detail: [
        { type: 'hash', valueString: r.hash },
        { type: 'prevHash', valueString: r.prevHash },
        ...(r.correlationId ? [{ type: 'correlationId', valueString: r.correlationId }] : []),
        ...(r.traceId ? [{ type: 'traceId', valueString: r.traceId }] : []),
      ],
    },
  ];
  if (r.target) entity.push({ what: { identifier: { system: `${HARBOUR_TARGET_SYSTEM}:${r.target.type}`, value: r.target.id } } });
  if (r.projectId) entity.push({ what: { identifier: { system: `${HARBOUR_TARGET_SYSTEM}:project`, value: r.projectId } } });
  if (r.trustId) entity.push({ what: { identifier: { system: `${HARBOUR_TARGET_SYSTEM}:trust`, value: r.trustId } } });
  return {
    resourceType: 'AuditEvent',
    id: `harbour-audit-${r.seq}`,
    type: auth
      ? { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114', display: 'User Authentication' }
      : { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: HARBOUR_AUDIT_ACTION_SYSTEM, code: r.action }],
    action: fhirAction(r.action),
    recorded: r.at,
    // AuditEvent.outcome: 0 success, 4 minor failure (refused), 8 serious failure.
    outcome: r.outcome === 'success' ? '0' : r.outcome === 'denied' ? '4' : '8',
    agent: [
      {
        ...(r.actor.type === 'user' || r.actor.type === 'client'
          ? {
              type: {
                coding: [
                  {
                    system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type',
                    code: r.actor.type === 'user' ? 'humanuser' : 'dataprocessor',
                  },
                ],
              },
            }
          : {}),
        who: { identifier: { system: `${HARBOUR_ACTOR_SYSTEM}:${r.actor.type}`, value: r.actor.id ?? 'anonymous' } },
        requestor: true,
        ...(r.actor.role ? { role: [{ text: r.actor.role }] } : {}),
      },
    ],
    source: {
      site: 'harbour',
      observer: { display: 'Harbour data station' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity,
  };
}
