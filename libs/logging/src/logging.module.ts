import type { IncomingMessage } from 'node:http';
import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pretty from 'pino-pretty';
import { REDACTED_PATHS, redactUrl } from './redaction.rules.js';

export interface LoggingSettings {
  level: string;
  /** Human-readable lines for development; JSON otherwise. */
  pretty: boolean;
}

/** Structured request and application logging with secrets redacted. */
export function loggingModule(settings: LoggingSettings): DynamicModule {
  // Request and response headers are a page per request: only at debug and trace.
  const withHeaders = settings.level === 'debug' || settings.level === 'trace';
  const options = {
    level: settings.level,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    // Health probes every few seconds would drown the log.
    autoLogging: { ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health') },
    serializers: {
      req: (req: { id: unknown; method: string; url: string; headers: Record<string, unknown> }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        ...(withHeaders ? { headers: req.headers } : {}),
      }),
      res: (res: { statusCode: number; headers?: Record<string, unknown> }) => ({
        statusCode: res.statusCode,
        ...(withHeaders ? { headers: res.headers } : {}),
      }),
    },
  };
  // Readable lines are formatted in this thread: pino's `transport` would start a worker thread (a V8 isolate of
  // its own, tens of MB) per app, and the local launcher runs two apps.
  return LoggerModule.forRoot({
    pinoHttp: settings.pretty ? [options, pretty({ singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })] : options,
  });
}
