import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQidoQuery, QIDO_MAX_LIMIT } from './qido-query.js';

test('QIDO-RS parameters by keyword or tag, ranges and lists (PS3.18 §8.3.4, PS3.4 §C.2.2.2)', () => {
  assert.deepEqual(
    parseQidoQuery({ PatientID: 'HBR-ABC', StudyDate: '20200101-20201231', ModalitiesInStudy: 'ct,MR', limit: '5000', offset: '10' }),
    {
      pseudonym: 'HBR-ABC',
      studyDateFrom: '20200101',
      studyDateTo: '20201231',
      modalities: ['CT', 'MR'],
      limit: QIDO_MAX_LIMIT,
      offset: 10,
    },
  );
  assert.deepEqual(parseQidoQuery({ '00080020': '-20200101' }), { limit: 100, offset: 0, studyDateTo: '20200101' });
  assert.deepEqual(parseQidoQuery({ StudyDate: '20200101' }), {
    limit: 100,
    offset: 0,
    studyDateFrom: '20200101',
    studyDateTo: '20200101',
  });
  assert.deepEqual(
    parseQidoQuery({ StudyInstanceUID: '2.25.1\\2.25.2', includefield: 'all', fuzzymatching: 'true', PatientName: 'x' }).studyUids,
    ['2.25.1', '2.25.2'],
  );
  for (const bad of [{ StudyDate: '2020' }, { limit: '-1' }, { StudyInstanceUID: 'abc' }, { PatientID: 'a b' }])
    assert.throws(() => parseQidoQuery(bad), /invalid QIDO-RS query/);
});
