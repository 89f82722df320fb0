import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import { HARBOUR_CONFIG, type HarbourConfig } from '@harbour/config';
import { DomainError } from '@harbour/errors';
import { actorOf, type Principal } from '@harbour/auth';
import { ImagingIngestService, type IngestOutcome, type IngestSession } from './imaging-ingest.service.js';
import { MultipartError, parseMediaType, readMultipart, type PartSink } from '../dicomweb/multipart.js';
import { dj, HARBOUR_PRIVATE_CREATOR, TAG, type DicomJsonDataset } from '../dicomweb/dicom-json.js';

export interface StowResult {
  /** PS3.18 §10.5.3: 200 all stored, 202 some failed, 409 none stored. */
  readonly httpStatus: 200 | 202 | 409;
  /** The Store Instances Response (PS3.18 §10.5.3.1), DICOM JSON. */
  readonly response: DicomJsonDataset;
  readonly batchId: string;
}

/**
 * STOW-RS (PS3.18 §10.5): a trust system posts `multipart/related; type="application/dicom"`.
 * The body is read as a stream: each part is spooled to a temporary file (never more than a
 * network chunk in memory), ingested as soon as it is complete, and deleted; a bad part fails
 * alone with a reason code and never sinks the request.
 */
@Injectable()
export class StowService {
  constructor(
    @Inject(HARBOUR_CONFIG) private readonly config: HarbourConfig,
    @Inject(ImagingIngestService) private readonly ingest: ImagingIngestService,
  ) {}

  async store(
    p: Principal,
    contentType: string | undefined,
    body: AsyncIterable<Buffer | string>,
    expectedStudyUid?: string,
  ): Promise<StowResult> {
    // Only a trust's own uploader sends its images: the trust comes from the caller, never the request.
    if (!p.trustId || !p.roles.includes('trust-uploader')) throw new DomainError('forbidden', "only a trust's uploader can store images");
    const media = parseMediaType(contentType);
    // PS3.18 §10.5.1.2.1: multipart/related with type application/dicom (binary instances).
    if (media?.type !== 'multipart/related')
      throw new DomainError('unsupported_media_type', 'send multipart/related; type="application/dicom"');
    const partType = (media.params['type'] ?? 'application/dicom').toLowerCase();
    if (partType !== 'application/dicom')
      throw new DomainError('unsupported_media_type', 'only type="application/dicom" parts are accepted (no metadata + bulk data)');
    const boundary = media.params['boundary'];
    if (!boundary) throw new DomainError('invalid_request', 'the multipart boundary parameter is missing');

    const session = await this.ingest.open(p.trustId, actorOf(p), 'stow', 'stow', p.id);
    const dir = await mkdtemp(join(tmpdir(), 'harbour-stow-'));
    const outcomes: IngestOutcome[] = [];
    try {
      let read: { parts: number; truncated: boolean };
      try {
        read = await readMultipart(
          body,
          boundary,
          (headers, index) => Promise.resolve(this.partSink(session, dir, headers, index, outcomes, expectedStudyUid)),
          {
            maxParts: 100_000,
          },
        );
      } catch (e) {
        if (!(e instanceof MultipartError)) throw e;
        if (outcomes.length === 0) throw new DomainError('invalid_request', `malformed multipart body: ${e.code}`);
        outcomes.push(session.fail('body_truncated', 'the multipart body is malformed after this point'));
        read = { parts: outcomes.length, truncated: true };
      }
      if (read.truncated) outcomes.push(session.fail('body_truncated', 'the request body ended inside a part'));
      if (read.parts === 0 && outcomes.length === 0) throw new DomainError('invalid_request', 'the request contains no parts');
      await session.finish();
    } catch (e) {
      await session.abort();
      throw e;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return { ...stowResponse(outcomes), batchId: session.batchId };
  }

  private partSink(
    session: IngestSession,
    dir: string,
    headers: Readonly<Record<string, string>>,
    index: number,
    outcomes: IngestOutcome[],
    expectedStudyUid: string | undefined,
  ): PartSink {
    const type = parseMediaType(headers['content-type'])?.type ?? 'application/dicom';
    const limit = this.config.http.uploadLimitBytes;
    const path = join(dir, `part-${index}.dcm`);
    let file: WriteStream | undefined;
    let bytes = 0;
    let refused: 'unsupported_part_type' | 'part_too_large' | undefined =
      type === 'application/dicom' ? undefined : 'unsupported_part_type';
    const close = async (): Promise<void> => {
      if (!file) return;
      const f = file;
      file = undefined;
      f.end();
      await once(f, 'close');
    };
    return {
      write: async (chunk) => {
        if (refused) return; // the rest of a refused part is read and dropped
        bytes += chunk.length;
        if (bytes > limit) {
          refused = 'part_too_large';
          await close();
          await rm(path, { force: true });
          return;
        }
        file ??= createWriteStream(path, { mode: 0o600 });
        if (!file.write(chunk)) await once(file, 'drain');
      },
      end: async () => {
        await close();
        try {
          if (refused === 'unsupported_part_type')
            outcomes.push(session.fail(refused, `part of type ${type.replace(/[^\w./+-]/g, '')} is not application/dicom`));
          else if (refused === 'part_too_large') outcomes.push(session.fail(refused, 'the part is larger than the upload limit'));
          else if (bytes === 0) outcomes.push(session.fail('empty_file', 'the part is empty'));
          else outcomes.push(await session.ingestFile(path, expectedStudyUid ? { expectedStudyUid } : {}));
        } finally {
          await rm(path, { force: true });
        }
      },
      abort: async () => {
        await close();
        await rm(path, { force: true });
      },
    };
  }
}

/** Build the Store Instances Response (PS3.18 §10.5.3.1) and the HTTP status for a set of outcomes. */
export function stowResponse(outcomes: readonly IngestOutcome[]): { httpStatus: 200 | 202 | 409; response: DicomJsonDataset } {
  const referenced: DicomJsonDataset[] = [];
  const failed: DicomJsonDataset[] = [];
  for (const o of outcomes) {
    const item: DicomJsonDataset = {
      [TAG.ReferencedSOPClassUID]: dj.str('UI', o.sopClassUid),
      [TAG.ReferencedSOPInstanceUID]: dj.str('UI', o.sopInstanceUid),
      // Harbour's reason code and instance status in a private block (PS3.5 §7.8): machine-readable
      // detail the standard attributes cannot carry.
      [TAG.HarbourPrivateCreator]: { vr: 'LO', Value: [HARBOUR_PRIVATE_CREATOR] },
    };
    if (o.kind === 'failed') {
      item[TAG.FailureReason] = dj.int('US', o.failureReason);
      item[TAG.HarbourReasonCode] = { vr: 'LO', Value: [o.code] };
      failed.push(item);
    } else {
      item[TAG.HarbourInstanceStatus] = { vr: 'CS', Value: [o.status.toUpperCase()] };
      if (o.reason) item[TAG.HarbourReasonCode] = { vr: 'LO', Value: [o.reason] };
      referenced.push(item);
    }
  }
  const response: DicomJsonDataset = {};
  if (referenced.length) response[TAG.ReferencedSOPSequence] = dj.seq(referenced);
  if (failed.length) response[TAG.FailedSOPSequence] = dj.seq(failed);
  const httpStatus = failed.length === 0 ? 200 : referenced.length === 0 ? 409 : 202;
  return { httpStatus, response };
}
