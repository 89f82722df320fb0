#!/usr/bin/env node
// Entry point of `npx harbour` and `npm start`: runs the TypeScript sources through
// @swc-node/register (which keeps decorator metadata, unlike esbuild-based loaders).
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.env.SWC_NODE_PROJECT ??= resolve(root, 'tsconfig.json');
await import('@swc-node/register/esm-register');
// Tracing must be set up before HTTP, Express, Nest and pg are imported, so it happens here,
// and only when an OTLP endpoint is configured (off otherwise).
const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
if (endpoint) {
  const { startTracing } = await import(resolve(root, 'libs/platform/telemetry/src/otel.ts'));
  const tracing = await startTracing({ endpoint, serviceName: process.env.OTEL_SERVICE_NAME || 'harbour' });
  process.once('beforeExit', () => void tracing.shutdown());
}
await import(resolve(root, 'apps/cli/src/main.ts'));
