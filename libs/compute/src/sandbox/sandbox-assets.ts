import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { transform } from '@swc/core';
import type { WasmGlobal, WasmModule } from './protocol.js';

/**
 * The QuickJS release this quickjs-emscripten build vendors (from the variant's README). A spec
 * checks it against the installed package, so an upgrade cannot leave provenance stale.
 */
export const QUICKJS_ENGINE_VERSION = '2025-09-13+f1139494';
/** Synchronous release build: the fastest variant; jobs' async code still works (promises are driven by the host). */
export const QUICKJS_VARIANT = '@jitl/quickjs-wasmfile-release-sync';

export interface SandboxAssets {
  /** `data:` URL of the transpiled worker: a worker needs no TypeScript loader, so it starts in ~40 ms. */
  readonly workerUrl: URL;
  readonly quickjsUrl: string;
  /** Compiled once per process, instantiated afresh for every job. */
  readonly wasmModule: WasmModule;
  /** Provenance: package versions, engine release and the sha-256 of the WebAssembly executed. */
  readonly runtimeVersion: string;
}

let assets: Promise<SandboxAssets> | undefined;

/** Loads (once per process) what every sandbox needs. */
export function sandboxAssets(): Promise<SandboxAssets> {
  assets ??= loadAssets().catch((error: unknown) => {
    assets = undefined;
    throw error;
  });
  return assets;
}

async function loadAssets(): Promise<SandboxAssets> {
  const quickjsUrl = import.meta.resolve('quickjs-emscripten');
  const fromQuickjs = createRequire(fileURLToPath(quickjsUrl));
  const wasmPath = fromQuickjs.resolve(`${QUICKJS_VARIANT}/wasm`);
  const wasmBytes = await readFile(wasmPath);
  const wasmModule = await (globalThis as unknown as WasmGlobal).WebAssembly.compile(wasmBytes);
  const wasmSha256 = createHash('sha256').update(wasmBytes).digest('hex');
  const version = (spec: string): string =>
    (JSON.parse(readFileSync(fromQuickjs.resolve(`${spec}/package.json`), 'utf8')) as { version: string }).version;
  const runtimeVersion =
    `quickjs-emscripten ${version('quickjs-emscripten')}; ${QUICKJS_VARIANT} ${version(QUICKJS_VARIANT)}; ` +
    `QuickJS ${QUICKJS_ENGINE_VERSION}; wasm sha256:${wasmSha256}`;

  // Run from sources (swc-node) the worker is a .ts file; from a build, its .js sibling.
  const tsWorker = new URL('./sandbox-worker.ts', import.meta.url);
  const workerFile = existsSync(tsWorker) ? tsWorker : new URL('./sandbox-worker.js', import.meta.url);
  const source = await readFile(workerFile, 'utf8');
  // Strip types only: the worker imports nothing relative at run time (type imports vanish here).
  const { code } = await transform(source, {
    filename: 'sandbox-worker.ts',
    isModule: true,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    sourceMaps: false,
  });
  const workerUrl = new URL(`data:text/javascript;base64,${Buffer.from(code, 'utf8').toString('base64')}`);
  return { workerUrl, quickjsUrl, wasmModule, runtimeVersion };
}
