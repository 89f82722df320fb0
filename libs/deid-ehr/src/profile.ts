/**
 * The EHR de-identification profile, as data.
 *
 * For every supported resource type the profile lists each element that may appear in the output
 * and what happens to it; anything not listed (elements, extensions, primitive `_element`
 * extensions) is removed, so new or unexpected content fails closed. Element names are FHIR R4
 * (4.0.1) names; choice elements (`value[x]`) are listed per concrete type, so an unlisted type of a
 * choice is dropped too. The README's conformance table is printed from this file
 * (`describeProfile`).
 */

/** What happens to a leaf element. */
export type RuleKind =
  /** A primitive copied exactly (code, boolean, number, status). Objects under `keep` are dropped. */
  | 'keep'
  /** date / dateTime / instant shifted by the patient's offset; removed when there is no patient. */
  | 'date'
  /** Patient.birthDate: shifted, then generalised to year or year band (profile.birthDate). */
  | 'birthDate'
  /** Reference: Patient → pseudonym; other types → recordId; urn:uuid resolved; display is free text. */
  | 'reference'
  /** Identifier: value → recordId(system, value); assigner and period dropped. */
  | 'identifier'
  /** ImagingStudy.identifier: urn:dicom:uid values → keys.uid; others as `identifier`. */
  | 'imagingIdentifier'
  /** A DICOM UID (FHIR `id`/`oid`): → keys.uid, the same mapping the DICOM de-identifier uses. */
  | 'dicomUid'
  /** string / markdown that people type: removed, or scrubbed (profile.freeText). */
  | 'freeText'
  /** Narrative (`text`): removed, or reduced to scrubbed plain text in a fresh div. */
  | 'narrative'
  /** Attachment: base64 text data decoded, scrubbed and re-encoded (or removed); url/hash/size dropped. */
  | 'attachment'
  /** Patient.address: only the postcode, generalised (profile.postcode). */
  | 'address'
  /** Ethnic category extension (UK Core): kept as codes or removed (profile.ethnicity). */
  | 'ethnicity'
  /** Always removed (listed for documentation). */
  | 'remove';

/** A complex element (backbone element or data type) whose children have their own rules. */
export interface StructRule {
  elements: Record<string, Rule>;
  /** Extensions allowed on this element, by url; the rule applies to the Extension element itself. */
  extensions?: Record<string, Rule>;
}

export type Rule = RuleKind | StructRule;

export interface ResourceProfile {
  /**
   * True for resources in the Patient compartment (R4 CompartmentDefinition patient): they must
   * reference exactly one known patient, whose pseudonym and date offset they take.
   */
  patientCompartment: boolean;
  elements: Record<string, Rule>;
  extensions?: Record<string, Rule>;
}

export type FreeTextPolicy = 'remove' | 'scrub';
export type BirthDatePolicy = 'year' | 'band5' | 'band10' | 'remove';
export type PostcodePolicy = 'district' | 'area' | 'remove';

export interface DeidProfile {
  /** Recorded in every output resource (meta.tag) and in the run summary. */
  version: string;
  /** Free text: removed (default), or kept after scrubbing known and pattern-matched identifiers. */
  freeText: FreeTextPolicy;
  /** Patient.birthDate: year of the shifted date (default), 5- or 10-year band start, or removed. */
  birthDate: BirthDatePolicy;
  /** Patient postcode: outward code / district (default), area (letters), or removed. */
  postcode: PostcodePolicy;
  /** Ethnic category (a quasi-identifier): removed by default. */
  ethnicity: 'keep' | 'remove';
  resources: Record<string, ResourceProfile>;
}

/** Version of the built-in profile; bump on any change to the tables below. */
export const EHR_DEID_PROFILE_VERSION = 'harbour-ehr-deid-1.0.0';

/** meta.tag system naming the profile version (and options) an output was made with. */
export const DEID_PROFILE_TAG_SYSTEM = 'https://harbour.nhs.uk/fhir/CodeSystem/deid-profile';
/** meta.security label: HL7 v3 ObservationValue PSEUDED ("pseudonymized"). */
export const PSEUDED_SECURITY = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'PSEUDED',
  display: 'pseudonymized',
} as const;

/** UK Core / Care Connect ethnic category extensions (NHS Data Dictionary "Ethnic category"). */
export const ETHNIC_CATEGORY_URLS = [
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory',
  'https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-EthnicCategory-1',
];

// ---- data types (R4 §2.24) -------------------------------------------------------------

const K: RuleKind = 'keep';
const DATE: RuleKind = 'date';
const REF: RuleKind = 'reference';
const FREE: RuleKind = 'freeText';
const IDENT: RuleKind = 'identifier';

export const CODING: StructRule = { elements: { system: K, version: K, code: K, display: K, userSelected: K } };
export const CODEABLE: StructRule = { elements: { coding: CODING, text: FREE } };
export const QUANTITY: StructRule = { elements: { value: K, comparator: K, unit: K, system: K, code: K } };
export const RANGE: StructRule = { elements: { low: QUANTITY, high: QUANTITY } };
export const RATIO: StructRule = { elements: { numerator: QUANTITY, denominator: QUANTITY } };
export const PERIOD: StructRule = { elements: { start: DATE, end: DATE } };
export const ANNOTATION: StructRule = { elements: { authorReference: REF, time: DATE, text: FREE } };
export const TIMING: StructRule = {
  elements: {
    event: DATE,
    code: CODEABLE,
    repeat: {
      elements: {
        boundsDuration: QUANTITY,
        boundsRange: RANGE,
        boundsPeriod: PERIOD,
        count: K,
        countMax: K,
        duration: K,
        durationMax: K,
        durationUnit: K,
        frequency: K,
        frequencyMax: K,
        period: K,
        periodMax: K,
        periodUnit: K,
        dayOfWeek: K,
        timeOfDay: K,
        when: K,
        offset: K,
      },
    },
  },
};

/** Expand a choice element `name[x]` into its concrete names (R4 §2.24.0.1 "Choice of data types"). */
export function choice(name: string, types: Record<string, Rule>): Record<string, Rule> {
  const out: Record<string, Rule> = {};
  for (const [t, r] of Object.entries(types)) out[`${name}${t}`] = r;
  return out;
}

/** Observation-style value[x] without SampledData (waveforms are removed) or Attachment. */
const VALUE_TYPES: Record<string, Rule> = {
  Quantity: QUANTITY,
  CodeableConcept: CODEABLE,
  String: FREE,
  Boolean: K,
  Integer: K,
  Range: RANGE,
  Ratio: RATIO,
  Time: K,
  DateTime: DATE,
  Period: PERIOD,
};

const DOSAGE: StructRule = {
  elements: {
    sequence: K,
    text: FREE,
    additionalInstruction: CODEABLE,
    patientInstruction: FREE,
    timing: TIMING,
    ...choice('asNeeded', { Boolean: K, CodeableConcept: CODEABLE }),
    site: CODEABLE,
    route: CODEABLE,
    method: CODEABLE,
    doseAndRate: {
      elements: {
        type: CODEABLE,
        ...choice('dose', { Range: RANGE, Quantity: QUANTITY }),
        ...choice('rate', { Ratio: RATIO, Range: RANGE, Quantity: QUANTITY }),
      },
    },
    maxDosePerPeriod: RATIO,
    maxDosePerAdministration: QUANTITY,
    maxDosePerLifetime: QUANTITY,
  },
};

/** Extensions allowed anywhere they appear on a resource root, by url. */
const DATA_ABSENT_REASON: Rule = { elements: { valueCode: K } };

// ---- resources -------------------------------------------------------------------------

const patient: ResourceProfile = {
  patientCompartment: true,
  elements: {
    // identifier (NHS number, MRN), name, telecom, address lines, photo, contact, communication,
    // maritalStatus, multipleBirth: not listed, so removed. The pseudonym is Patient.id.
    active: K,
    gender: K,
    birthDate: 'birthDate',
    deceasedBoolean: K,
    deceasedDateTime: DATE,
    address: 'address',
    generalPractitioner: REF,
    managingOrganization: REF,
  },
  extensions: Object.fromEntries(ETHNIC_CATEGORY_URLS.map((u) => [u, 'ethnicity' as Rule])),
};

const encounter: ResourceProfile = {
  patientCompartment: true,
  elements: {
    identifier: IDENT,
    status: K,
    statusHistory: { elements: { status: K, period: PERIOD } },
    class: CODING,
    classHistory: { elements: { class: CODING, period: PERIOD } },
    type: CODEABLE,
    serviceType: CODEABLE,
    priority: CODEABLE,
    subject: REF,
    episodeOfCare: REF,
    basedOn: REF,
    participant: { elements: { type: CODEABLE, period: PERIOD, individual: REF } },
    appointment: REF,
    period: PERIOD,
    length: QUANTITY,
    reasonCode: CODEABLE,
    reasonReference: REF,
    diagnosis: { elements: { condition: REF, use: CODEABLE, rank: K } },
    hospitalization: {
      elements: {
        preAdmissionIdentifier: IDENT,
        origin: REF,
        admitSource: CODEABLE,
        reAdmission: CODEABLE,
        dietPreference: CODEABLE,
        specialCourtesy: CODEABLE,
        specialArrangement: CODEABLE,
        destination: REF,
        dischargeDisposition: CODEABLE,
      },
    },
    location: { elements: { location: REF, status: K, physicalType: CODEABLE, period: PERIOD } },
    serviceProvider: REF,
    partOf: REF,
  },
};

const ONSET_TYPES: Record<string, Rule> = { DateTime: DATE, Age: QUANTITY, Period: PERIOD, Range: RANGE, String: FREE };

const condition: ResourceProfile = {
  patientCompartment: true,
  elements: {
    identifier: IDENT,
    clinicalStatus: CODEABLE,
    verificationStatus: CODEABLE,
    category: CODEABLE,
    severity: CODEABLE,
    code: CODEABLE,
    bodySite: CODEABLE,
    subject: REF,
    encounter: REF,
    ...choice('onset', ONSET_TYPES),
    ...choice('abatement', ONSET_TYPES),
    recordedDate: DATE,
    recorder: REF,
    asserter: REF,
    stage: { elements: { summary: CODEABLE, assessment: REF, type: CODEABLE } },
    evidence: { elements: { code: CODEABLE, detail: REF } },
    note: ANNOTATION,
  },
  extensions: {
    // R4 core extension condition-assertedDate (valueDateTime): shifted like any other date.
    'http://hl7.org/fhir/StructureDefinition/condition-assertedDate': { elements: { valueDateTime: DATE } },
  },
};

const REFERENCE_RANGE: StructRule = {
  elements: { low: QUANTITY, high: QUANTITY, type: CODEABLE, appliesTo: CODEABLE, age: RANGE, text: FREE },
};

const observation: ResourceProfile = {
  patientCompartment: true,
  elements: {
    identifier: IDENT,
    basedOn: REF,
    partOf: REF,
    status: K,
    category: CODEABLE,
    code: CODEABLE,
    subject: REF,
    focus: REF,
    encounter: REF,
    ...choice('effective', { DateTime: DATE, Period: PERIOD, Timing: TIMING, Instant: DATE }),
    issued: DATE,
    performer: REF,
    ...choice('value', VALUE_TYPES),
    dataAbsentReason: CODEABLE,
    interpretation: CODEABLE,
    note: ANNOTATION,
    bodySite: CODEABLE,
    method: CODEABLE,
    specimen: REF,
    device: REF,
    referenceRange: REFERENCE_RANGE,
    hasMember: REF,
    derivedFrom: REF,
    component: {
      elements: {
        code: CODEABLE,
        ...choice('value', VALUE_TYPES),
        dataAbsentReason: CODEABLE,
        interpretation: CODEABLE,
        referenceRange: REFERENCE_RANGE,
      },
      extensions: { 'http://hl7.org/fhir/StructureDefinition/data-absent-reason': DATA_ABSENT_REASON },
    },
  },
  extensions: { 'http://hl7.org/fhir/StructureDefinition/data-absent-reason': DATA_ABSENT_REASON },
};

const medicationRequest: ResourceProfile = {
  patientCompartment: true,
  elements: {
    identifier: IDENT,
    status: K,
    statusReason: CODEABLE,
    intent: K,
    category: CODEABLE,
    priority: K,
    doNotPerform: K,
    ...choice('reported', { Boolean: K, Reference: REF }),
    ...choice('medication', { CodeableConcept: CODEABLE, Reference: REF }),
    subject: REF,
    encounter: REF,
    supportingInformation: REF,
    authoredOn: DATE,
    requester: REF,
    performer: REF,
    performerType: CODEABLE,
    recorder: REF,
    reasonCode: CODEABLE,
    reasonReference: REF,
    basedOn: REF,
    groupIdentifier: IDENT,
    courseOfTherapyType: CODEABLE,
    note: ANNOTATION,
    dosageInstruction: DOSAGE,
    dispenseRequest: {
      elements: {
        initialFill: { elements: { quantity: QUANTITY, duration: QUANTITY } },
        dispenseInterval: QUANTITY,
        validityPeriod: PERIOD,
        numberOfRepeatsAllowed: K,
        quantity: QUANTITY,
        expectedSupplyDuration: QUANTITY,
        performer: REF,
      },
    },
    substitution: { elements: { ...choice('allowed', { Boolean: K, CodeableConcept: CODEABLE }), reason: CODEABLE } },
    priorPrescription: REF,
    detectedIssue: REF,
  },
};

const procedure: ResourceProfile = {
  patientCompartment: true,
  elements: {
    identifier: IDENT,
    basedOn: REF,
    partOf: REF,
    status: K,
    statusReason: CODEABLE,
    category: CODEABLE,
    code: CODEABLE,
    subject: REF,
    encounter: REF,
    ...choice('performed', { DateTime: DATE, Period: PERIOD, String: FREE, Age: QUANTITY, Range: RANGE }),
    recorder: REF,
    asserter: REF,
    performer: { elements: { function: CODEABLE, actor: REF, onBehalfOf: REF } },
    location: REF,
    reasonCode: CODEABLE,
    reasonReference: REF,
    bodySite: CODEABLE,
    outcome: CODEABLE,
    report: REF,
    complication: CODEABLE,
    complicationDetail: REF,
    followUp: CODEABLE,
    note: ANNOTATION,
    focalDevice: { elements: { action: CODEABLE, manipulated: REF } },
    usedReference: REF,
    usedCode: CODEABLE,
  },
};

const diagnosticReport: ResourceProfile = {
  patientCompartment: true,
  elements: {
    identifier: IDENT,
    basedOn: REF,
    status: K,
    category: CODEABLE,
    code: CODEABLE,
    subject: REF,
    encounter: REF,
    ...choice('effective', { DateTime: DATE, Period: PERIOD }),
    issued: DATE,
    performer: REF,
    resultsInterpreter: REF,
    specimen: REF,
    result: REF,
    imagingStudy: REF,
    media: { elements: { comment: FREE, link: REF } },
    conclusion: FREE,
    conclusionCode: CODEABLE,
    presentedForm: 'attachment',
  },
};

const documentReference: ResourceProfile = {
  patientCompartment: true,
  elements: {
    masterIdentifier: IDENT,
    identifier: IDENT,
    status: K,
    docStatus: K,
    type: CODEABLE,
    category: CODEABLE,
    subject: REF,
    date: DATE,
    author: REF,
    authenticator: REF,
    custodian: REF,
    relatesTo: { elements: { code: K, target: REF } },
    description: FREE,
    securityLabel: CODEABLE,
    content: { elements: { attachment: 'attachment', format: CODING } },
    context: {
      elements: {
        encounter: REF,
        event: CODEABLE,
        period: PERIOD,
        facilityType: CODEABLE,
        practiceSetting: CODEABLE,
        sourcePatientInfo: REF,
        related: REF,
      },
    },
  },
};

const imagingStudy: ResourceProfile = {
  patientCompartment: true,
  elements: {
    identifier: 'imagingIdentifier',
    status: K,
    modality: CODING,
    subject: REF,
    encounter: REF,
    started: DATE,
    basedOn: REF,
    referrer: REF,
    interpreter: REF,
    endpoint: REF,
    numberOfSeries: K,
    numberOfInstances: K,
    procedureReference: REF,
    procedureCode: CODEABLE,
    location: REF,
    reasonCode: CODEABLE,
    reasonReference: REF,
    note: ANNOTATION,
    description: FREE,
    series: {
      elements: {
        uid: 'dicomUid',
        number: K,
        modality: CODING,
        description: FREE,
        numberOfInstances: K,
        endpoint: REF,
        bodySite: CODING,
        laterality: CODING,
        specimen: REF,
        started: DATE,
        performer: { elements: { function: CODEABLE, actor: REF } },
        instance: { elements: { uid: 'dicomUid', sopClass: CODING, number: K, title: FREE } },
      },
    },
  },
};

const PROVISION: StructRule = {
  elements: {
    type: K,
    period: PERIOD,
    actor: { elements: { role: CODEABLE, reference: REF } },
    action: CODEABLE,
    securityLabel: CODING,
    purpose: CODING,
    class: CODING,
    code: CODEABLE,
    dataPeriod: PERIOD,
    data: { elements: { meaning: K, reference: REF } },
  },
};
// Consent.provision.provision nests recursively (R4 Consent: provision.provision 0..*).
PROVISION.elements.provision = PROVISION;

const consent: ResourceProfile = {
  patientCompartment: true,
  elements: {
    identifier: IDENT,
    status: K,
    scope: CODEABLE,
    category: CODEABLE,
    patient: REF,
    dateTime: DATE,
    performer: REF,
    organization: REF,
    // sourceAttachment (a scanned form) is not listed: removed.
    sourceReference: REF,
    policy: { elements: { authority: K, uri: K } },
    policyRule: CODEABLE,
    verification: { elements: { verified: K, verifiedWith: REF, verificationDate: DATE } },
    provision: PROVISION,
  },
};

// Resources outside the Patient compartment carry no patient date offset: their dates are not
// listed (removed), and staff/organisation names, identifiers, telecom and addresses are removed.
const practitioner: ResourceProfile = {
  patientCompartment: false,
  elements: { active: K, qualification: { elements: { code: CODEABLE } } },
};

const organization: ResourceProfile = {
  patientCompartment: false,
  elements: { active: K, type: CODEABLE, partOf: REF },
};

const location: ResourceProfile = {
  patientCompartment: false,
  elements: { status: K, mode: K, type: CODEABLE, physicalType: CODEABLE, managingOrganization: REF, partOf: REF },
};

const medication: ResourceProfile = {
  patientCompartment: false,
  elements: {
    code: CODEABLE,
    status: K,
    manufacturer: REF,
    form: CODEABLE,
    amount: RATIO,
    ingredient: {
      elements: { ...choice('item', { CodeableConcept: CODEABLE, Reference: REF }), isActive: K, strength: RATIO },
    },
  },
};

const allergyIntolerance: ResourceProfile = {
  patientCompartment: true,
  elements: {
    identifier: IDENT,
    clinicalStatus: CODEABLE,
    verificationStatus: CODEABLE,
    type: K,
    category: K,
    criticality: K,
    code: CODEABLE,
    patient: REF,
    encounter: REF,
    ...choice('onset', ONSET_TYPES),
    recordedDate: DATE,
    recorder: REF,
    asserter: REF,
    lastOccurrence: DATE,
    note: ANNOTATION,
    reaction: {
      elements: {
        substance: CODEABLE,
        manifestation: CODEABLE,
        description: FREE,
        onset: DATE,
        severity: K,
        exposureRoute: CODEABLE,
        note: ANNOTATION,
      },
    },
  },
};

const immunization: ResourceProfile = {
  patientCompartment: true,
  elements: {
    identifier: IDENT,
    status: K,
    statusReason: CODEABLE,
    vaccineCode: CODEABLE,
    patient: REF,
    encounter: REF,
    ...choice('occurrence', { DateTime: DATE, String: FREE }),
    recorded: DATE,
    primarySource: K,
    reportOrigin: CODEABLE,
    location: REF,
    manufacturer: REF,
    // lotNumber is not listed: a batch number can single out a patient.
    expirationDate: DATE,
    site: CODEABLE,
    route: CODEABLE,
    doseQuantity: QUANTITY,
    performer: { elements: { function: CODEABLE, actor: REF } },
    note: ANNOTATION,
    reasonCode: CODEABLE,
    reasonReference: REF,
    isSubpotent: K,
    subpotentReason: CODEABLE,
    programEligibility: CODEABLE,
    fundingSource: CODEABLE,
    protocolApplied: {
      elements: {
        series: FREE,
        authority: REF,
        targetDisease: CODEABLE,
        ...choice('doseNumber', { PositiveInt: K, String: FREE }),
        ...choice('seriesDoses', { PositiveInt: K, String: FREE }),
      },
    },
  },
};

/** The built-in profile: free text removed, birth year, postcode district, ethnicity removed. */
export const DEFAULT_EHR_PROFILE: DeidProfile = {
  version: EHR_DEID_PROFILE_VERSION,
  freeText: 'remove',
  birthDate: 'year',
  postcode: 'district',
  ethnicity: 'remove',
  resources: {
    Patient: patient,
    Encounter: encounter,
    Condition: condition,
    Observation: observation,
    MedicationRequest: medicationRequest,
    Procedure: procedure,
    DiagnosticReport: diagnosticReport,
    DocumentReference: documentReference,
    ImagingStudy: imagingStudy,
    Consent: consent,
    AllergyIntolerance: allergyIntolerance,
    Immunization: immunization,
    Practitioner: practitioner,
    Organization: organization,
    Location: location,
    Medication: medication,
  },
};

/** The default profile with some options changed (the resource tables stay). */
export function makeProfile(options: Partial<Omit<DeidProfile, 'resources'>> = {}): DeidProfile {
  return { ...DEFAULT_EHR_PROFILE, ...options };
}

/** The options part of a profile as one string, recorded next to the version in outputs. */
export function profileOptionsLabel(p: DeidProfile): string {
  return `freeText=${p.freeText};birthDate=${p.birthDate};postcode=${p.postcode};ethnicity=${p.ethnicity}`;
}

/** Flatten a resource profile to `path → action` rows (for the README conformance table). */
export function describeProfile(profile: DeidProfile = DEFAULT_EHR_PROFILE): { resourceType: string; path: string; action: string }[] {
  const rows: { resourceType: string; path: string; action: string }[] = [];
  const walk = (type: string, prefix: string, rule: Rule, seen: Set<StructRule>): void => {
    if (typeof rule === 'string') {
      rows.push({ resourceType: type, path: prefix, action: rule });
      return;
    }
    if (
      rule === CODEABLE ||
      rule === CODING ||
      rule === QUANTITY ||
      rule === RANGE ||
      rule === RATIO ||
      rule === PERIOD ||
      rule === ANNOTATION ||
      rule === TIMING
    ) {
      const name =
        rule === CODEABLE
          ? 'CodeableConcept'
          : rule === CODING
            ? 'Coding'
            : rule === QUANTITY
              ? 'Quantity'
              : rule === RANGE
                ? 'Range'
                : rule === RATIO
                  ? 'Ratio'
                  : rule === PERIOD
                    ? 'Period (dates shifted)'
                    : rule === ANNOTATION
                      ? 'Annotation'
                      : 'Timing (dates shifted)';
      rows.push({ resourceType: type, path: prefix, action: `keep as ${name}` });
      return;
    }
    if (seen.has(rule)) {
      rows.push({ resourceType: type, path: prefix, action: 'recursive (same rules)' });
      return;
    }
    const next = new Set(seen).add(rule);
    for (const [k, r] of Object.entries(rule.elements)) walk(type, `${prefix}.${k}`, r, next);
    for (const [u, r] of Object.entries(rule.extensions ?? {})) walk(type, `${prefix}.extension(${u})`, r, next);
  };
  for (const [type, rp] of Object.entries(profile.resources)) {
    for (const [k, r] of Object.entries(rp.elements)) walk(type, `${type}.${k}`, r, new Set());
    for (const [u, r] of Object.entries(rp.extensions ?? {})) walk(type, `${type}.extension(${u})`, r, new Set());
  }
  return rows;
}
