import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatNhsNumber } from '@harbour/nhs';
import {
  generateDicomInstance,
  generateDicomStudy,
  PLANTED,
  syntheticNhsNumber,
  syntheticUid,
  TRANSFER_SYNTAX_UIDS,
  writeDicomInstanceFile,
  type DicomInstanceSpec,
  type SyntheticTransferSyntax,
} from '../../synthetic/src/dicom/index.js';
import {
  deidentifyDicomBuffer,
  deidentifyDicomDirectory,
  deidentifyDicomFile,
  readDicomIndex,
  HARBOUR_IMPLEMENTATION_CLASS_UID,
  DICOM_DEID_PROFILE_VERSION,
  type DicomDeidContext,
  type DicomDeidOutcome,
} from './index.js';
import { parseWithDcmjs, pixelBytes, testKeys, type Parsed } from './test-helpers.js';

const keys = testKeys();
const ctx: DicomDeidContext = { keys };

async function run(
  spec: DicomInstanceSpec,
  c: DicomDeidContext = ctx,
): Promise<{ outcome: DicomDeidOutcome; output?: Buffer; input: Buffer }> {
  const input = generateDicomInstance(spec);
  return { ...(await deidentifyDicomBuffer(input, c)), input };
}

async function released(
  spec: DicomInstanceSpec,
  c: DicomDeidContext = ctx,
): Promise<{ out: Buffer; input: Buffer; p: Parsed; outcome: DicomDeidOutcome }> {
  const r = await run(spec, c);
  assert.equal(r.outcome.status, 'released', JSON.stringify(r.outcome));
  assert.ok(r.output);
  return { out: r.output, input: r.input, p: parseWithDcmjs(r.output), outcome: r.outcome };
}

const PLANTED_STRINGS = [
  'QUIXLEY',
  'ZEBEDEE',
  'VANTABLACK',
  'FENWICKHAM',
  'PRENDERGHAST',
  'KILLINGWORTH',
  'BRACKENBURY',
  'WHITTLESTONE',
  'MONTMORENCY',
  'Swithun',
  'Barchester',
  'Larkspur',
  'BC4 9ZZ',
  '01632',
  '960123',
  'example.org',
  PLANTED.mrn,
  PLANTED.accession,
  PLANTED.stationName,
  PLANTED.deviceSerial,
  PLANTED.department,
  PLANTED.studyDate,
  PLANTED.birthDate,
  '14/06/2023',
  '17/03/1958',
  PLANTED.privateCreator,
  'TRUSTPACS01',
  'RP99812',
  'SPS7781',
  'OP1234',
];

function assertNoPlanted(out: Buffer, nhs: string): void {
  // Deflated outputs are compressed: check the inflated dataset too.
  const text = out.toString('latin1').toLowerCase();
  for (const s of [...PLANTED_STRINGS, nhs, formatNhsNumber(nhs)]) {
    assert.ok(!text.includes(s.toLowerCase()), `planted identifier leaked: ${s}`);
  }
}

const ALL_TS = Object.keys(TRANSFER_SYNTAX_UIDS) as SyntheticTransferSyntax[];

describe('transfer syntaxes', () => {
  for (const ts of ALL_TS) {
    for (const seqLen of ['undefined', 'defined'] as const) {
      test(`${ts}, ${seqLen}-length sequences: released, parseable, clean, pixels byte-identical`, async () => {
        const spec: DicomInstanceSpec = { kind: 'ct', transferSyntax: ts, seed: 11, sequenceLengths: seqLen };
        const { out, input, p } = await released(spec);
        assert.equal(p.meta['00020010']?.Value?.[0], TRANSFER_SYNTAX_UIDS[ts]);
        const pin = pixelBytes(parseWithDcmjs(input));
        assert.ok(pin.length > 0);
        assert.ok(pixelBytes(p).equals(pin), 'pixel data differs');
        const plain = ts === 'deflated' ? parseInflated(out) : out;
        assertNoPlanted(plain, syntheticNhsNumber(11));
        assert.equal(
          p.ds.PatientName && (p.ds.PatientName as { Alphabetic: string }[])[0]?.Alphabetic,
          keys.pseudonym(syntheticNhsNumber(11)),
        );
      });
    }
  }
  test('multi-frame and SR in every non-encapsulated syntax', async () => {
    for (const ts of ['explicit-le', 'implicit-le', 'explicit-be', 'deflated'] as const) {
      for (const kind of ['multiframe', 'sr', 'mr'] as const) {
        const { out } = await released({ kind, transferSyntax: ts, seed: 12 });
        assertNoPlanted(ts === 'deflated' ? parseInflated(out) : out, syntheticNhsNumber(12));
      }
    }
  });
});

import { inflateRawSync } from 'node:zlib';
function parseInflated(out: Buffer): Buffer {
  const metaLen = out.readUInt32LE(132 + 8);
  const start = 132 + 12 + metaLen;
  return Buffer.concat([out.subarray(0, start), inflateRawSync(out.subarray(start))]);
}

describe('attributes', () => {
  test('File Meta Information rewritten, preamble zeroed, markers set', async () => {
    const { out, p } = await released({ seed: 3 });
    assert.ok(out.subarray(0, 128).every((b) => b === 0));
    assert.equal(p.meta['00020003']?.Value?.[0], p.ds.SOPInstanceUID);
    assert.equal(p.meta['00020012']?.Value?.[0], HARBOUR_IMPLEMENTATION_CLASS_UID);
    assert.equal(p.meta['00020016'], undefined, 'Source AE title must go');
    assert.equal(p.ds.PatientIdentityRemoved, 'YES');
    assert.match(String(p.ds.DeidentificationMethod), new RegExp(DICOM_DEID_PROFILE_VERSION.replace(/[./]/g, '\\$&')));
    const codes = (p.ds.DeidentificationMethodCodeSequence as { CodeValue: string; CodingSchemeDesignator: string }[]).map(
      (c) => c.CodeValue,
    );
    assert.deepEqual(codes, ['113100', '113104', '113105', '113107', '113108']);
    assert.equal(p.ds.LongitudinalTemporalInformationModified, 'MODIFIED');
  });

  test('UIDs: U attributes remapped with keys.uid, class UIDs kept, nested references remapped', async () => {
    const { p } = await released({ seed: 4 });
    assert.equal(p.ds.SOPInstanceUID, keys.uid(syntheticUid(4, 3, 1)));
    assert.equal(p.ds.StudyInstanceUID, keys.uid(syntheticUid(4, 1)));
    assert.equal(p.ds.SeriesInstanceUID, keys.uid(syntheticUid(4, 2)));
    assert.equal(p.ds.FrameOfReferenceUID, keys.uid(syntheticUid(4, 4)));
    assert.equal(p.ds.SOPClassUID, '1.2.840.10008.5.1.4.1.1.2');
    const ref = (p.ds.ReferencedImageSequence as Record<string, string>[])[0]!;
    assert.equal(ref.ReferencedSOPInstanceUID, keys.uid(syntheticUid(4, 3, 999)));
    assert.equal(ref.ReferencedSOPClassUID, '1.2.840.10008.5.1.4.1.1.2');
    // Two levels down: Request Attributes Sequence > Referenced Study Sequence.
    const req = (p.ds.RequestAttributesSequence as Record<string, unknown>[])[0]!;
    // Referenced Study Sequence is X/Z in Table E.1-1: resolved to X (see README).
    assert.equal(req.ReferencedStudySequence, undefined);
    const src = (p.ds.SourceImageSequence as Record<string, string>[])[0]!;
    assert.equal(src.ReferencedSOPInstanceUID, keys.uid(syntheticUid(4, 3, 999)));
    assert.equal(req.RequestingPhysician, undefined);
    assert.equal(req.AccessionNumber, '');
    assert.equal(req.OperatorIdentificationSequence, undefined);
  });

  test('SR: UIDs three sequence levels down and inside content items are remapped', async () => {
    const { p } = await released({ seed: 4, kind: 'sr' });
    const ev = (p.ds.CurrentRequestedProcedureEvidenceSequence as Record<string, unknown>[])[0]!;
    assert.equal(ev.StudyInstanceUID, keys.uid(syntheticUid(4, 1)));
    const series = (ev.ReferencedSeriesSequence as Record<string, unknown>[])[0]!;
    assert.equal(series.SeriesInstanceUID, keys.uid(syntheticUid(4, 2)));
    const sop = (series.ReferencedSOPSequence as Record<string, string>[])[0]!;
    assert.equal(sop.ReferencedSOPInstanceUID, keys.uid(syntheticUid(4, 3, 999)));
    const content = p.ds.ContentSequence as Record<string, unknown>[];
    assert.equal(content[3]!.UID, keys.uid(syntheticUid(4, 1)));
    const img = (content[4]!.ReferencedSOPSequence as Record<string, string>[])[0]!;
    assert.equal(img.ReferencedSOPInstanceUID, keys.uid(syntheticUid(4, 3, 999)));
    const nested = (content[5]!.ContentSequence as Record<string, unknown>[])[0]!.TextValue as string;
    assert.match(nested, /Nested note about \*\*\*/);
  });

  test('same input gives the same output across runs and in a separate process', async () => {
    const input = generateDicomInstance({ seed: 21, transferSyntax: 'explicit-le' });
    const a = await deidentifyDicomBuffer(input, ctx);
    const b = await deidentifyDicomBuffer(input, ctx);
    assert.ok(a.output && b.output && a.output.equals(b.output));
    const dir = await mkdtemp(join(tmpdir(), 'deid-proc-'));
    try {
      await writeFile(join(dir, 'in.dcm'), input);
      const script = `
        import { deidentifyDicomBuffer } from '${new URL('./index.ts', import.meta.url).pathname}';
        import { deriveProjectKeys } from '${new URL('../../pseudonymisation/src/index.ts', import.meta.url).pathname}';
        import { readFileSync } from 'node:fs';
        import { createHash } from 'node:crypto';
        const r = await deidentifyDicomBuffer(readFileSync('${join(dir, 'in.dcm')}'), { keys: deriveProjectKeys(Buffer.alloc(32, 7), 'alpha') });
        process.stdout.write(createHash('sha256').update(r.output).digest('hex'));`;
      await writeFile(join(dir, 'child.ts'), script);
      const child = spawnSync(process.execPath, ['--import', '@swc-node/register/esm-register', join(dir, 'child.ts')], {
        cwd: process.cwd(),
        encoding: 'utf8',
      });
      assert.equal(child.stdout, createHash('sha256').update(a.output).digest('hex'), child.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('references stay consistent across the files of a study', async () => {
    const study = generateDicomStudy(31, { instances: 3, series: 2 });
    const outs = await Promise.all(study.instances.map((i) => deidentifyDicomBuffer(i.buffer, ctx)));
    const parsed = outs.map((o) => parseWithDcmjs(o.output!).ds);
    const studies = new Set(parsed.map((d) => d.StudyInstanceUID));
    assert.equal(studies.size, 1);
    assert.equal(new Set(parsed.map((d) => d.PatientID)).size, 1);
    for (let i = 1; i < parsed.length; i++) {
      const ref = (parsed[i]!.ReferencedImageSequence as Record<string, string>[])[0]!;
      assert.equal(ref.ReferencedSOPInstanceUID, parsed[i - 1]!.SOPInstanceUID);
    }
  });

  test('dates shifted by the patient offset (intervals kept, times kept); REMOVED without the option', async () => {
    const nhs = syntheticNhsNumber(5);
    const { p } = await released({ seed: 5, kind: 'multiframe' });
    const off = keys.dateOffsetDays(nhs);
    const d = (s: string): number => Date.UTC(Number(s.slice(0, 4)), Number(s.slice(4, 6)) - 1, Number(s.slice(6, 8)));
    assert.equal((d(String(p.ds.StudyDate)) - d(PLANTED.studyDate)) / 86_400_000, off);
    assert.equal(p.ds.StudyTime, '101500');
    assert.equal(String(p.ds.AcquisitionDateTime).slice(8), '101502.123456+0100');
    assert.equal(p.ds.PatientBirthDate, '', 'birth date is Z in Table E.1-1 with every option');
    const perFrame = (p.ds.PerFrameFunctionalGroupsSequence as Record<string, Record<string, string>[]>[])[0]!;
    assert.equal(String(perFrame.FrameContentSequence![0]!.FrameAcquisitionDateTime).slice(0, 8), String(p.ds.StudyDate));

    const basic = await released({ seed: 5 }, { keys, options: [] });
    assert.equal(basic.p.ds.StudyDate, '');
    assert.equal(basic.p.ds.AcquisitionDate, undefined);
    assert.equal(basic.p.ds.LongitudinalTemporalInformationModified, 'REMOVED');
    assert.equal(basic.p.ds.PatientAge, undefined);
    assert.equal(basic.p.ds.PatientComments, undefined);
    assert.equal(basic.p.ds.ImageComments, undefined);
    assert.deepEqual(
      (basic.p.ds.DeidentificationMethodCodeSequence as { CodeValue: string }[]).map((c) => c.CodeValue),
      ['113100'],
    );
  });

  test('patient characteristics retained only with the option', async () => {
    const withOpt = await released({ seed: 6 });
    assert.equal(withOpt.p.ds.PatientAge, '065Y');
    assert.equal(withOpt.p.ds.PatientSex, 'F');
    const without = await released({ seed: 6 }, { keys, options: ['retainLongitudinalModifiedDates'] });
    assert.equal(without.p.ds.PatientAge, undefined);
    assert.equal(without.p.ds.PatientSex, '');
  });

  test('private attributes removed; Retain Safe Private keeps only listed ones and their creator', async () => {
    const none = await released({ seed: 7 });
    assert.ok(!Object.keys(none.p.dict).some((t) => parseInt(t.slice(0, 4), 16) % 2 === 1));
    const safe = await released(
      { seed: 7 },
      { keys, options: ['retainSafePrivate'], safePrivateTags: [{ creator: PLANTED.privateCreator, group: 0x0009, element: 0x03 }] },
    );
    const priv = Object.keys(safe.p.dict)
      .filter((t) => parseInt(t.slice(0, 4), 16) % 2 === 1)
      .sort();
    assert.deepEqual(priv, ['00090010', '00091003']);
  });

  test('overlays, curves and icon images are removed', async () => {
    const { p } = await released({ seed: 8 });
    assert.ok(!Object.keys(p.dict).some((t) => t.startsWith('60') || t.startsWith('50')));
    assert.equal(p.ds.IconImageSequence, undefined);
  });

  test('free text: removed without Clean Descriptors, scrubbed with it', async () => {
    const clean = await released({ seed: 9, kind: 'sr' });
    const items = clean.p.ds.ContentSequence as Record<string, unknown>[];
    const text = String(items[0]!.TextValue);
    assert.match(text, /\*\*\*/);
    assert.match(text, /seen on/);
    const basic = await released({ seed: 9, kind: 'sr' }, { keys, options: [] });
    const bItems = basic.p.ds.ContentSequence as Record<string, unknown>[];
    assert.equal(bItems[0]!.TextValue, undefined);
    assert.equal(bItems[1]!.PersonName && (bItems[1]!.PersonName as { Alphabetic: string }[])[0]!.Alphabetic, 'ANONYMOUS');
    assertNoPlanted(basic.out, syntheticNhsNumber(9));
  });

  test('Clean Descriptors finds names from attributes before the text (Referring Physician before Study Description)', async () => {
    const buf = generateDicomInstance({
      seed: 5,
      extra: [
        { tag: 0x00080090, vr: 'PN', value: 'FAKENAME^JOHN' },
        { tag: 0x00081030, vr: 'LO', value: 'Referred by Dr Fakename for CT' },
      ],
    });
    const r = await deidentifyDicomBuffer(buf, ctx);
    assert.equal(r.outcome.status, 'released');
    const out = r.output!.toString('latin1').toLowerCase();
    assert.ok(!out.includes('fakename'), 'the referring physician is scrubbed from the description');
    assert.ok(out.includes('for ct'), 'the rest of the description survives');
  });
});

describe('patient identification', () => {
  const nhs = syntheticNhsNumber(40);
  const expectPseudonym = async (spec: DicomInstanceSpec, c: DicomDeidContext = ctx): Promise<void> => {
    const { p } = await released({ seed: 40, ...spec }, c);
    assert.equal(p.ds.PatientID, keys.pseudonym(nhs));
  };
  test('NHS number in Patient ID, plain or spaced', async () => {
    await expectPseudonym({ patient: { nhsIn: 'patientId' } });
    await expectPseudonym({ patient: { nhsIn: 'patientIdSpaced' } });
  });
  test('NHS number in Other Patient IDs Sequence with each issuer form', async () => {
    for (const issuer of ['NHS', 'NHSN', '2.16.840.1.113883.2.1.4.1']) {
      await expectPseudonym({ patient: { nhsIn: 'otherPatientIdsSequence', nhsIssuer: issuer } });
    }
  });
  test('NHS number in deprecated Other Patient IDs', async () => {
    await expectPseudonym({ patient: { nhsIn: 'otherPatientIds' } });
  });
  test('MRN resolved by the injected resolver; unresolved is rejected', async () => {
    const seen: string[] = [];
    await expectPseudonym(
      { patient: { nhsIn: 'none' } },
      { keys, resolvePatient: async (q) => (seen.push(q.patientId ?? ''), q.patientId === PLANTED.mrn ? nhs : undefined) },
    );
    assert.deepEqual(seen, [PLANTED.mrn]);
    const r = await run({ seed: 40, patient: { nhsIn: 'none' } }, { keys, resolvePatient: async () => undefined });
    assert.equal(r.outcome.status, 'rejected');
    assert.equal(r.outcome.status === 'rejected' && r.outcome.code, 'patient_unidentified');
    assert.equal(r.output, undefined);
    const thrown = await run(
      { seed: 40, patient: { nhsIn: 'none' } },
      { keys, resolvePatient: () => Promise.reject(new Error(PLANTED.mrn)) },
    );
    assert.equal(thrown.outcome.status === 'rejected' && thrown.outcome.code, 'patient_resolver_error');
    assert.ok(!JSON.stringify(thrown.outcome).includes(PLANTED.mrn));
  });
  test('opted-out patients are rejected', async () => {
    const r = await run({ seed: 40 }, { keys, isOptedOut: (n) => n === nhs });
    assert.equal(r.outcome.status === 'rejected' && r.outcome.code, 'patient_opted_out');
    assert.ok(!JSON.stringify(r.outcome).includes(nhs));
  });
});

describe('quarantine', () => {
  const reason = async (spec: DicomInstanceSpec): Promise<string | undefined> => {
    const r = await run(spec);
    if (r.outcome.status === 'quarantined') {
      assert.equal(r.output, undefined);
      assert.ok(!JSON.stringify(r.outcome.receipt).includes(PLANTED.mrn));
      return r.outcome.reason;
    }
    return undefined;
  };
  test('Burned In Annotation YES, ultrasound and secondary capture unless marked NO', async () => {
    assert.equal(await reason({ seed: 1, burnedInAnnotation: 'YES' }), 'burned_in_annotation');
    assert.equal(await reason({ seed: 1, kind: 'us' }), 'burned_in_annotation');
    assert.equal(await reason({ seed: 1, kind: 'sc' }), 'burned_in_annotation');
    assert.equal(await reason({ seed: 1, kind: 'us', burnedInAnnotation: 'NO' }), undefined);
    assert.equal(await reason({ seed: 1 }), undefined);
  });
});

describe('bad input', () => {
  const reject = async (buf: Buffer): Promise<string> => {
    const r = await deidentifyDicomBuffer(buf, ctx);
    assert.equal(r.output, undefined);
    assert.equal(r.outcome.status, 'rejected');
    return r.outcome.status === 'rejected' ? r.outcome.code : '';
  };
  const good = generateDicomInstance({ seed: 50 });
  test('empty, not DICOM, no Part 10 header', async () => {
    assert.equal(await reject(Buffer.alloc(0)), 'empty_file');
    assert.equal(await reject(Buffer.from('hello, this is not an image at all '.repeat(10))), 'not_dicom');
    assert.equal(await reject(good.subarray(good.indexOf(Buffer.from([0x08, 0x00, 0x05, 0x00]), 132))), 'missing_part10_header');
  });
  test('truncated anywhere', async () => {
    for (const cut of [140, 401, 1501, good.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00])), good.length - 5000, good.length - 3]) {
      assert.equal(await reject(good.subarray(0, cut)), 'truncated', `cut at ${cut}`);
    }
  });
  test('overrunning lengths and undecodable VRs', async () => {
    // A defined-length item claiming more than its sequence holds.
    const buf = generateDicomInstance({ seed: 50, sequenceLengths: 'defined' });
    const seqAt = buf.indexOf(Buffer.from([0x40, 0x00, 0x75, 0x02, 0x53, 0x51])); // (0040,0275) SQ
    const bad = Buffer.from(buf);
    bad.writeUInt32LE(bad.readUInt32LE(seqAt + 16) + 64, seqAt + 16); // item length
    assert.equal(await reject(bad), 'invalid_length');
    const vr = Buffer.from(good);
    const at = vr.indexOf(Buffer.from([0x08, 0x00, 0x60, 0x00])); // Modality
    vr.write('zz', at + 4, 'latin1');
    assert.equal(await reject(vr), 'invalid_encoding');
  });
  test('unsupported transfer syntax', async () => {
    const buf = Buffer.from(generateDicomInstance({ seed: 50 }));
    const at = buf.indexOf('1.2.840.10008.1.2.1\0');
    buf.write('1.2.3.4.5.6.7.8.9.1\0', at, 'latin1');
    assert.equal(await reject(buf), 'unsupported_transfer_syntax');
  });
});

describe('files and directories', () => {
  test('streaming file API: large native pixel data copied exactly; deflated via temp file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deid-file-'));
    try {
      for (const ts of ['explicit-le', 'deflated', 'jpeg2000'] as const) {
        const inPath = join(dir, `${ts}.dcm`);
        await writeDicomInstanceFile(inPath, { seed: 60, kind: 'multiframe', rows: 256, frames: 6, transferSyntax: ts });
        const outPath = join(dir, 'out', `${ts}.dcm`);
        const outcome = await deidentifyDicomFile(inPath, outPath, ctx);
        assert.equal(outcome.status, 'released', JSON.stringify(outcome));
        const out = await readFile(outPath);
        const a = parseWithDcmjs(await readFile(inPath));
        assert.ok(pixelBytes(parseWithDcmjs(out)).equals(pixelBytes(a)));
        assertNoPlanted(ts === 'deflated' ? parseInflated(out) : out, syntheticNhsNumber(60));
      }
      const leftovers = (await readdir(join(dir, 'out'))).filter((f) => f.includes('harbour-'));
      assert.deepEqual(leftovers, []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('directory: bad files never stop the run nor leave output; rejections.json lists them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deid-dir-'));
    try {
      const inDir = join(dir, 'in');
      await mkdir(join(inDir, 'a', 'b'), { recursive: true });
      await writeFile(join(inDir, 'a', 'one.dcm'), generateDicomInstance({ seed: 70 }));
      await writeFile(join(inDir, 'a', 'b', 'two.dcm'), generateDicomInstance({ seed: 71, transferSyntax: 'implicit-le' }));
      await writeFile(join(inDir, 'empty.dcm'), Buffer.alloc(0));
      await writeFile(join(inDir, 'notes.txt'), 'not dicom '.repeat(30));
      const full = generateDicomInstance({ seed: 72 });
      await writeFile(join(inDir, 'a', 'cut.dcm'), full.subarray(0, full.length - 100));
      await writeFile(join(inDir, 'us.dcm'), generateDicomInstance({ seed: 73, kind: 'us' }));
      await writeFile(join(inDir, 'mrn.dcm'), generateDicomInstance({ seed: 74, patient: { nhsIn: 'none' } }));
      const progress: string[] = [];
      const summary = await deidentifyDicomDirectory(inDir, join(dir, 'out'), { keys, onProgress: (p) => progress.push(p.path) });
      assert.equal(summary.total, 7);
      assert.equal(summary.released, 2);
      assert.equal(summary.quarantined, 1);
      assert.equal(summary.rejected, 4);
      assert.equal(progress.length, 7);
      const rej = JSON.parse(await readFile(join(dir, 'out', 'rejections.json'), 'utf8'));
      assert.deepEqual(Object.keys(rej).sort(), ['a/cut.dcm', 'empty.dcm', 'mrn.dcm', 'notes.txt', 'us.dcm']);
      assert.equal(rej['a/cut.dcm'].code, 'truncated');
      assert.equal(rej['empty.dcm'].code, 'empty_file');
      assert.equal(rej['notes.txt'].code, 'not_dicom');
      assert.equal(rej['mrn.dcm'].code, 'patient_unidentified');
      assert.equal(rej['us.dcm'].code, 'quarantined:burned_in_annotation');
      assert.equal(rej['us.dcm'].quarantine, true);
      const written: string[] = [];
      const walk = async (d: string, pre: string): Promise<void> => {
        for (const e of await readdir(d, { withFileTypes: true })) {
          if (e.isDirectory()) await walk(join(d, e.name), `${pre}${e.name}/`);
          else written.push(`${pre}${e.name}`);
        }
      };
      await walk(join(dir, 'out'), '');
      assert.deepEqual(written.sort(), ['a/b/two.dcm', 'a/one.dcm', 'rejections.json']);
      assert.ok((await stat(join(dir, 'out', 'a', 'one.dcm'))).size > 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('file and directory runs write exactly what the buffer API returns, whatever was read before', async () => {
    // Small files are read into reused buffers and written with one gathered write (synchronously
    // one at a time, through the thread pool in directory runs): a stale byte from an earlier,
    // larger file or a mixed-up slice would show here. Sizes go down and up on purpose.
    const dir = await mkdtemp(join(tmpdir(), 'deid-small-'));
    try {
      const inDir = join(dir, 'in');
      await mkdir(join(inDir, 'x'), { recursive: true });
      const specs: DicomInstanceSpec[] = [
        { seed: 90, rows: 256, columns: 256 },
        { seed: 91, rows: 16, columns: 16, transferSyntax: 'implicit-le' },
        { seed: 92, kind: 'multiframe', rows: 128, columns: 128, frames: 3, transferSyntax: 'explicit-be' },
        { seed: 93, rows: 8, columns: 8, transferSyntax: 'deflated' },
        { seed: 94, rows: 64, columns: 64, transferSyntax: 'jpeg-ls', sequenceLengths: 'defined' },
        { seed: 95, rows: 512, columns: 512 },
        { seed: 96, kind: 'sr' },
      ];
      const expected = new Map<string, Buffer>();
      let bytes = 0;
      for (const [i, spec] of specs.entries()) {
        const name = i % 2 ? `x/${i}.dcm` : `${i}.dcm`;
        const input = generateDicomInstance(spec);
        bytes += input.length;
        await writeFile(join(inDir, name), input);
        const r = await deidentifyDicomBuffer(input, ctx);
        assert.equal(r.outcome.status, 'released', JSON.stringify(r.outcome));
        expected.set(name, r.output!);
      }
      const summary = await deidentifyDicomDirectory(inDir, join(dir, 'dir'), { keys, concurrency: 4 });
      assert.equal(summary.released, specs.length);
      assert.equal(summary.bytesIn, bytes);
      for (const [name, want] of expected) {
        assert.ok((await readFile(join(dir, 'dir', name))).equals(want), `directory run: ${name}`);
        const outcome = await deidentifyDicomFile(join(inDir, name), join(dir, 'file', name), ctx);
        assert.equal(outcome.status, 'released');
        assert.ok((await readFile(join(dir, 'file', name))).equals(want), `file API: ${name}`);
      }
      const names = [...(await readdir(join(dir, 'dir'), { recursive: true })), ...(await readdir(join(dir, 'file'), { recursive: true }))];
      assert.deepEqual(
        names.filter((n) => n.includes('harbour-')),
        [],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('readDicomIndex reads header metadata without pixel data', async () => {
    const buf = generateDicomInstance({ seed: 80, patient: { nhsIn: 'otherPatientIdsSequence' } });
    const idx = await readDicomIndex(buf);
    assert.equal(idx.sopInstanceUid, syntheticUid(80, 3, 1));
    assert.equal(idx.studyInstanceUid, syntheticUid(80, 1));
    assert.equal(idx.modality, 'CT');
    assert.equal(idx.transferSyntaxUid, TRANSFER_SYNTAX_UIDS['explicit-le']);
    assert.equal(idx.patientId, PLANTED.mrn);
    assert.equal(idx.nhsNumber, syntheticNhsNumber(80));
    assert.equal(idx.hasPixelData, true);
    await assert.rejects(readDicomIndex(Buffer.alloc(0)), { code: 'empty_file' });
  });
});
