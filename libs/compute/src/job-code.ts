import { createHash } from 'node:crypto';
import { transform } from '@swc/core';
import type { JobLanguage } from './job.types.js';

/** Largest job source accepted (a job is analysis code, not a bundle of libraries). */
export const MAX_CODE_BYTES = 1024 * 1024;

export type PreparedJobCode =
  | { readonly ok: true; readonly codeSha256: string; readonly javascript: string }
  | { readonly ok: false; readonly codeSha256: string; readonly failure: 'invalid_code' | 'compile_error'; readonly message: string };

/** sha-256 (hex) of the code exactly as submitted: what Harbour records for provenance. */
export function jobCodeSha256(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

/**
 * Turns submitted code into the ES module the sandbox evaluates. TypeScript only has its types
 * stripped (swc, no type checking: a type error is the partner's business, not a safety matter);
 * JavaScript is passed through untouched so line numbers in errors match what was submitted.
 */
export async function prepareJobCode(code: string, language: JobLanguage): Promise<PreparedJobCode> {
  const codeSha256 = jobCodeSha256(code);
  if (Buffer.byteLength(code, 'utf8') > MAX_CODE_BYTES) {
    return { ok: false, codeSha256, failure: 'invalid_code', message: `job code is larger than ${MAX_CODE_BYTES} bytes` };
  }
  if (language === 'js') return { ok: true, codeSha256, javascript: code };
  try {
    const out = await transform(code, {
      filename: 'job.ts',
      isModule: true,
      // QuickJS implements ES2023, so nothing needs down-levelling: output stays close to the source.
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      sourceMaps: false,
    });
    return { ok: true, codeSha256, javascript: out.code };
  } catch (error) {
    // swc's message quotes the offending source line, which is the partner's own code: fine to return.
    return {
      ok: false,
      codeSha256,
      failure: 'compile_error',
      message: `TypeScript could not be parsed: ${String(error instanceof Error ? error.message : error)}`,
    };
  }
}
