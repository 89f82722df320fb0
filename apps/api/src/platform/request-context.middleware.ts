import type { NextFunction, Request, Response } from 'express';
import type { Logger as PinoLogger } from 'pino';
import { correlationIdFrom, runWithContext } from '@harbour/errors';
import type { Metrics } from '@harbour/telemetry';

/**
 * Gives every request a correlation id (the caller's `X-Correlation-Id` when it is a plain token),
 * echoes it, and records one access-log line and metrics with the *route template*, never the
 * raw URL, which could carry identifiers in its query string.
 */
export function requestContext(logger: PinoLogger, metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const correlationId = correlationIdFrom(req.headers['x-correlation-id']);
    res.setHeader('X-Correlation-Id', correlationId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const base = req.baseUrl ?? '';
      const template = route === 'unmatched' ? route : `${base}${route}`;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequests.inc({ method: req.method, route: template, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method: req.method, route: template }, seconds);
      logger.info({ correlationId, method: req.method, route: template, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'http');
    });
    runWithContext({ correlationId }, () => next());
  };
}
