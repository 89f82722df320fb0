import { register } from 'node:module';

/**
 * Start OpenTelemetry tracing (HTTP, Express, PostgreSQL) exported over OTLP/HTTP. NestJS's own
 * instrumentation cannot hook the ESM-only Nest 12 files (tried: no spans), so handler spans come
 * from Express.
 * Must run before the instrumented modules are imported: the CLI calls it first when an
 * endpoint is configured, and tracing is entirely off otherwise. Span attributes are the
 * instrumentations' defaults minus anything carrying request content: the pg instrumentation
 * records statements with parameters stripped (`enhancedDatabaseReporting: false`).
 */
export async function startTracing(opts: { endpoint: string; serviceName: string }): Promise<{ shutdown(): Promise<void> }> {
  // Wrap only the instrumented packages: the hook cannot wrap our TypeScript modules.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: ['express', 'pg', 'pg-pool', '@nestjs/core', 'http', 'https', 'node:http', 'node:https'] },
  });
  const [
    { NodeSDK },
    { OTLPTraceExporter },
    { HttpInstrumentation },
    { ExpressInstrumentation },
    { PgInstrumentation },
    { resourceFromAttributes },
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/resources'),
  ]);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName }),
    traceExporter: new OTLPTraceExporter({ url: `${opts.endpoint.replace(/\/+$/, '')}/v1/traces` }),
    instrumentations: [
      new HttpInstrumentation({
        // Never record query strings: they may carry search terms or identifiers. The instrumentation
        // sets the URL attributes at span start; overwrite them with the path alone.
        requestHook: (span, req) => {
          const raw = 'url' in req && typeof req.url === 'string' ? req.url : '';
          const path = raw.split('?')[0] ?? '';
          span.setAttribute('http.target', path);
          span.setAttribute('url.path', path);
          span.setAttribute('url.query', '');
          span.setAttribute('http.url', path);
          span.setAttribute('url.full', path);
          span.setAttribute('http.query_redacted', raw.includes('?'));
        },
      }),
      new ExpressInstrumentation(),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
