import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveProjectKeys } from '@harbour/pseudonymisation';
import { deidentifyDicomBuffer } from '@harbour/deid-dicom';
import { deidentifyResource, patientContext, DEFAULT_EHR_PROFILE, type FhirResource } from '@harbour/deid-ehr';
import { dicom } from '@harbour/synthetic';
import dcmjs from 'dcmjs';

/**
 * The promise both de-identifiers make together: within a project, one patient has one
 * pseudonym and one date shift whether the data came as DICOM or FHIR, and a de-identified
 * ImagingStudy points at the de-identified study UID; across projects nothing links.
 */
const master = Buffer.alloc(32, 9);
const NHS = '9434765919';

function dicomOf(buf: Buffer): Record<string, unknown> {
  const ds = dcmjs.data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer);
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(ds.dict) as Record<string, unknown>;
}

async function both(
  projectId: string,
): Promise<{ dicom: Record<string, unknown>; patient: FhirResource; study: FhirResource; studyUid: string }> {
  const keys = deriveProjectKeys(master, projectId);
  const study = dicom.generateDicomStudy(77, { kind: 'ct', instances: 1, studyDate: '20240315', patient: { nhsNumber: NHS } });
  const inst = study.instances[0]!;
  const res = await deidentifyDicomBuffer(inst.buffer, { keys, options: ['retainLongitudinalModifiedDates'] });
  assert.equal(res.outcome.status, 'released', JSON.stringify(res.outcome));
  const ctx = { keys, profile: DEFAULT_EHR_PROFILE, resolvePatient: () => ({ status: 'ok' as const, nhsNumber: NHS }) };
  const pc = patientContext(keys, NHS);
  const patient = deidentifyResource(
    {
      resourceType: 'Patient',
      id: 'p1',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS }],
      gender: 'female',
      birthDate: '1970-06-01',
    },
    pc,
    ctx,
  );
  const imagingStudy = deidentifyResource(
    {
      resourceType: 'ImagingStudy',
      id: 'is1',
      status: 'available',
      subject: { reference: 'Patient/p1' },
      started: '2024-03-15T10:00:00Z',
      identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${study.studyInstanceUid}` }],
      modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }],
    },
    pc,
    ctx,
  );
  assert.ok(patient.ok && imagingStudy.ok);
  return { dicom: dicomOf(res.output!), patient: patient.resource, study: imagingStudy.resource, studyUid: study.studyInstanceUid };
}

test('one patient, one pseudonym, one date shift and linked study UIDs across DICOM and FHIR', async () => {
  const { dicom: d, patient, study, studyUid } = await both('project-x');
  assert.equal(d['PatientID'], patient.id);
  assert.match(String(d['PatientID']), /^HBR-/);
  // DICOM StudyDate and FHIR ImagingStudy.started are the same day, so they must shift together.
  const shiftedDicom = String(d['StudyDate']);
  const shiftedFhir = String(study['started']).slice(0, 10).replace(/-/g, '');
  assert.equal(shiftedDicom, shiftedFhir);
  assert.notEqual(shiftedDicom, '20240315');
  const id = (study['identifier'] as { value: string }[])[0]!.value;
  assert.equal(id, `urn:oid:${String(d['StudyInstanceUID'])}`);
  assert.notEqual(d['StudyInstanceUID'], studyUid);
  assert.equal(JSON.stringify(d).includes(NHS), false);
});

test('a different project links nothing', async () => {
  const a = await both('project-x');
  const b = await both('project-y');
  assert.notEqual(a.dicom['PatientID'], b.dicom['PatientID']);
  assert.notEqual(a.dicom['StudyInstanceUID'], b.dicom['StudyInstanceUID']);
});
