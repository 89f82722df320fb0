import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Runtime } from '@harbour/runtime';
import { strictValidationPipe } from '@harbour/errors';
import { NestPinoLogger } from '@harbour/telemetry';
import { ApiModule } from './app.module.js';
import { requestContext } from './platform/request-context.middleware.js';

/** Build the HTTP application (not yet listening), with docs, validation and body limits. */
export async function createApiApp(rt: Runtime): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(rt), {
    logger: new NestPinoLogger(rt.logger),
    bodyParser: false,
    abortOnError: false,
  });
  app.disable('x-powered-by');
  app.use(requestContext(rt.logger, rt.metrics));
  // Raw uploads (extract files, DICOM STOW) are streamed by their controllers, never parsed here.
  const streamed = (req: { url?: string }): boolean => /\/files\/|\/dicomweb\//.test(req.url ?? '');
  const isType = (re: RegExp) => (req: IncomingMessage) => !streamed(req) && re.test(String(req.headers['content-type'] ?? ''));
  app.useBodyParser('json', { limit: rt.config.http.bodyLimitBytes, type: isType(/^application\/([a-z.+-]*\+)?json\b/i) });
  app.useBodyParser('urlencoded', { limit: rt.config.http.bodyLimitBytes, extended: false });
  // Opt-out lists arrive as plain text or CSV: up to 64 MiB (about 5 million NHS numbers).
  app.useBodyParser('text', { limit: 64 * 1024 * 1024, type: isType(/^text\/(plain|csv)\b/i) });
  app.useGlobalPipes(strictValidationPipe());
  app.enableShutdownHooks();

  const doc = new DocumentBuilder()
    .setTitle('Harbour API')
    .setDescription('Privacy-preserving data docking station: governed access to de-identified NHS data for research partners.')
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, doc);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
