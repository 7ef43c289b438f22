import type { IncomingMessage } from 'node:http';
import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { REDACTED_PATHS, redactUrl } from './redaction.js';

export interface LoggingSettings {
  level: string;
  /** Human-readable lines for development; JSON otherwise. */
  pretty: boolean;
}

/** Structured request and application logging with secrets redacted. */
export function loggingModule(settings: LoggingSettings): DynamicModule {
  // Request and response headers are a page per request: only at debug and trace.
  const withHeaders = settings.level === 'debug' || settings.level === 'trace';
  return LoggerModule.forRoot({
    pinoHttp: {
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
      transport: settings.pretty
        ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }
        : undefined,
    },
  });
}
