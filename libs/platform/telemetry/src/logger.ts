import pino, { type Logger as PinoLogger } from 'pino';
import type { LoggerService } from '@nestjs/common';
import { currentCorrelationId } from '@harbour/errors';

/**
 * Structured JSON logs, one line per event, with the correlation id of the request or job.
 * Harbour logs events, ids and counts, never request bodies, query strings, file contents or
 * patient attributes; `redact` is a second line of defence for well-known sensitive keys.
 */
export function createLogger(level: string, name = 'harbour'): PinoLogger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const correlationId = currentCorrelationId();
      return correlationId ? { correlationId } : {};
    },
    redact: {
      paths: ['*.password', '*.nhsNumber', '*.nhs_number', '*.token', '*.authorization', '*.masterKey', 'password', 'nhsNumber', 'token'],
      censor: '[redacted]',
    },
  });
}

/** Adapts pino to Nest's LoggerService so framework logs share the same format. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: PinoLogger) {}
  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, params: unknown[]): void {
    const context = params.length > 0 && typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : undefined;
    if (typeof message === 'object' && message !== null) this.logger[level]({ context, ...(message as object) });
    else this.logger[level]({ context }, String(message));
  }
  log(message: unknown, ...p: unknown[]): void {
    this.write('info', message, p);
  }
  error(message: unknown, ...p: unknown[]): void {
    this.write('error', message, p);
  }
  warn(message: unknown, ...p: unknown[]): void {
    this.write('warn', message, p);
  }
  debug(message: unknown, ...p: unknown[]): void {
    this.write('debug', message, p);
  }
  verbose(message: unknown, ...p: unknown[]): void {
    this.write('trace', message, p);
  }
}
