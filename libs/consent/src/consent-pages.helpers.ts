import type { Request, Response } from 'express';
import type { ConsentFlow } from './consent-flow.entity.js';

/** Renders a participant-facing page (views/consent/…, in the participant layout). */
export function consentPage(res: Response, view: string, data: Record<string, unknown>, status = 200): void {
  res.status(status).render(`consent/${view}`, { layout: 'consent/layout', ...data });
}

/**
 * Lets this page's forms lead to other origins. The platform's CSP says `form-action 'self'`, and browsers
 * apply it to every redirect that follows a form submission, so a form whose answer redirects to OMRON's
 * sign-in (or to the partner's registered redirect URL) needs that exact origin allowed, on that page only.
 */
export function allowFormTargets(res: Response, ...urls: (string | null | undefined)[]): void {
  const policy = res.getHeader('Content-Security-Policy');
  if (typeof policy !== 'string') return;
  const origins = [...new Set(urls.filter((url): url is string => Boolean(url)).map((url) => new URL(url).origin))];
  if (origins.length === 0) return;
  res.setHeader('Content-Security-Policy', policy.replace("form-action 'self'", `form-action 'self' ${origins.join(' ')}`));
}

/** A friendly error page in the participant layout: never a redirect. */
export function consentError(res: Response, message: string, status: number, params: Record<string, string> = {}): void {
  consentPage(res, 'error', { title: 'consent_error.title', message, params }, status);
}

/** The page a flow at its current stage belongs on. */
export function stepOf(flow: ConsentFlow): string {
  switch (flow.stage) {
    case 'started':
      return '/consent/sign-in';
    case 'signed_in':
      return '/consent/password';
    case 'ready':
    case 'authorised':
      return '/consent/consent';
    case 'consented':
      return '/consent/connect';
    default:
      return '/consent/sign-in';
  }
}

/** The client address for audit and throttling (the portal middleware resolved trusted proxies already). */
export function clientIp(req: Request): string | null {
  return (req as Request & { portal?: { ip: string | null } }).portal?.ip ?? req.ip ?? null;
}

/** Where the language switch may return to: a participant page, nothing else. */
export function safeConsentPath(value: unknown): string {
  return typeof value === 'string' && /^\/consent(\/[^\s\\]*)?$/.test(value) && !value.startsWith('//') && value.length <= 200
    ? value
    : '/consent/me';
}
