import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { FaultsService } from './faults.service.js';

const ERROR_CODES: Record<number, string> = {
  500: 'INTERNAL_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/** Applies the configured faults to requests, before any controller sees them (the admin API and health checks are exempt). */
@Injectable()
export class FaultInjectionMiddleware implements NestMiddleware {
  constructor(private readonly faults: FaultsService) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const path = request.originalUrl.split('?')[0];
    if (path.startsWith('/admin/') || path.startsWith('/health')) return next();
    const decision = this.faults.decide(path);
    if (!decision) return next();
    const act = (): void => {
      switch (decision.action) {
        case 'reset':
          request.socket.destroy();
          return;
        case 'rate-limit':
          response
            .status(429)
            .set('Retry-After', String(decision.retryAfterSeconds))
            .json({ status: 429, reason: 'Too many requests (injected fault)', errorCode: 'RATE_LIMIT_EXCEEDED' });
          return;
        case 'error':
          response
            .status(decision.status!)
            .json({ status: decision.status, reason: 'Injected fault', errorCode: ERROR_CODES[decision.status!] ?? 'INTERNAL_ERROR' });
          return;
        case 'truncate':
          corruptBody(response, (body) => body.subarray(0, Math.floor(body.length / 2)), true);
          return next();
        case 'malformed':
          corruptBody(
            response,
            (body) => Buffer.concat([body.subarray(0, Math.floor(body.length * 0.6)), Buffer.from('\u0000<html>')]),
            false,
          );
          return next();
        case 'none':
          return next();
      }
    };
    if (decision.delayMs > 0) setTimeout(act, decision.delayMs);
    else act();
  }
}

/**
 * Replaces the body the app sends. Truncated: headers promise the full length, half arrives and the
 * connection closes (what a dropped connection looks like). Malformed: a complete answer whose body is not JSON.
 */
function corruptBody(response: Response, corrupt: (body: Buffer) => Buffer, cutConnection: boolean): void {
  const send = response.send.bind(response);
  response.send = ((body?: unknown) => {
    const full = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body ?? ''));
    if (!response.get('Content-Type')) response.type('json');
    const part = corrupt(full);
    if (!cutConnection) return send(part);
    response.writeHead(response.statusCode, {
      'Content-Length': String(full.length),
      'Content-Type': String(response.get('Content-Type')),
    });
    response.write(part, () => response.socket?.destroy());
    return response;
  }) as Response['send'];
}
