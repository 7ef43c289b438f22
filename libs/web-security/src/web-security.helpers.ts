import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { DspConfig } from '@opendsp/config';
import { ipv4Matcher, LOOPBACK_CIDRS } from './ip-matcher.helpers.js';

/**
 * Paths every address may reach: the orchestrator's probes, the participant-facing consent pages
 * (participants sign in from anywhere; their pages are not the portal), and OMRON's notification calls
 * (they come from OMRON, not from the partner; their receiver must authenticate them itself). Everything
 * else, the portal and the REST API, answers only to DSP_ALLOWED_SOURCE_IPS.
 */
export const ALLOWLIST_EXEMPT_PATHS: readonly RegExp[] = [/^\/health(\/|$)/, /^\/consent(\/|$)/, /^\/omron\/notifications(\/|$)/];

const SOURCE_NOT_ALLOWED_PROBLEM = {
  type: 'urn:opendsp:problem:source_not_allowed',
  title: 'This address is not allowed to use this DSP environment',
  status: 403,
  code: 'source_not_allowed',
};

/** Whether an HTTP client at `address` may use the portal and API under this configuration. */
export function sourceAllowed(config: DspConfig): (address: string | undefined) => boolean {
  const cidrs = [...config.environment.allowedSourceIps, ...(config.nodeEnv === 'development' ? LOOPBACK_CIDRS : [])];
  return ipv4Matcher(cidrs);
}

/**
 * Express-level protections of the platform, in order: proxy trust (only the configured proxies may name
 * the client in X-Forwarded-For, so a spoofed header from anywhere else changes nothing), the IPv4
 * allowlist, security headers, cookie parsing, and `no-store` on every page.
 */
export function applyWebSecurity(app: NestExpressApplication, config: DspConfig): void {
  const logger = new Logger('WebSecurity');
  const trusted = ipv4Matcher(config.portal.trustProxy);
  // Express walks X-Forwarded-For from the right and stops at the first untrusted hop: that hop is req.ip.
  app.set('trust proxy', config.portal.trustProxy.length > 0 ? (address: string) => trusted(address) : false);

  const allowed = sourceAllowed(config);
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (ALLOWLIST_EXEMPT_PATHS.some((pattern) => pattern.test(req.path)) || allowed(req.ip)) return next();
    logger.warn({ ip: req.ip, path: req.path }, 'request from an address outside DSP_ALLOWED_SOURCE_IPS refused');
    if (/^\/api(\/|$)/.test(req.path)) {
      // The REST API's one error shape (RFC 9457; see libs/api), so API clients can read the refusal too.
      res.status(403).type('application/problem+json').send(JSON.stringify(SOURCE_NOT_ALLOWED_PROBLEM));
      return;
    }
    res.status(403).type('text/plain').send('403 Forbidden: this address is not allowed to use this DSP environment.\n');
  });

  const production = config.nodeEnv === 'production';
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          // data: for the TOTP enrolment QR code, rendered on the server.
          'img-src': ["'self'", 'data:'],
          'font-src': ["'self'"],
          'connect-src': ["'self'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
          'base-uri': ["'none'"],
          'object-src': ["'none'"],
          ...(production ? { 'upgrade-insecure-requests': [] } : {}),
        },
      },
      strictTransportSecurity: production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  app.use(cookieParser());
  // Every answer below is no-store, so no browser ever revalidates one: an ETag (a SHA-1 of each body, 0.6 ms of
  // a participant page's CPU) would never be used. Static files keep theirs (serve-static makes its own).
  app.set('etag', false);
  app.use((_req: Request, res: Response, next: NextFunction) => {
    // Pages may show personal data and one-time links; no browser or proxy cache may keep them.
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
}
