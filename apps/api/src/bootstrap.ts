import 'reflect-metadata';
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
  app.useBodyParser('json', { limit: rt.config.http.bodyLimitBytes, type: ['application/json', 'application/*+json'] });
  app.useBodyParser('urlencoded', { limit: rt.config.http.bodyLimitBytes, extended: false });
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
