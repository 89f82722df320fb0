import type { Response } from 'express';
import type { OutputContent } from '@harbour/compute';

/** Write an output's bytes: its media type, a download name, and its sha-256 as the ETag (what a review binds to). */
export function sendOutput(res: Response, c: OutputContent): void {
  res
    .status(200)
    .setHeader('Content-Type', c.contentType)
    .setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(c.filename)}`)
    .setHeader('ETag', `"${c.sha256}"`)
    .setHeader('X-Content-Type-Options', 'nosniff')
    .setHeader('Cache-Control', 'no-store')
    .end(c.bytes);
}
