import type { CookieOptions, Request, Response } from 'express';
import type { DspConfig } from '@opendsp/config';

/**
 * The participant side's cookies, on the portal's rules: `__Host-` and Secure outside local development,
 * HttpOnly, SameSite=Lax (so they come along when OMRON redirects the browser back to the callback).
 * - the flow cookie binds a consent flow to this browser (lives as long as the flow, 30 minutes);
 * - the participant cookie is the participant page's session.
 */
export class ConsentCookies {
  readonly flow: string;
  readonly participant: string;
  private readonly secure: boolean;

  constructor(config: DspConfig) {
    this.secure = config.nodeEnv !== 'development';
    const prefix = this.secure ? '__Host-' : '';
    this.flow = `${prefix}dsp-consent-flow`;
    this.participant = `${prefix}dsp-participant`;
  }

  private options(maxAgeMs?: number): CookieOptions {
    return { httpOnly: true, secure: this.secure, sameSite: 'lax', path: '/', ...(maxAgeMs ? { maxAge: maxAgeMs } : {}) };
  }

  read(req: Request, name: string): string | undefined {
    const value = (req.cookies as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
  }

  set(res: Response, name: string, token: string, maxAgeMs?: number): void {
    res.cookie(name, token, this.options(maxAgeMs));
  }

  clear(res: Response, name: string): void {
    res.clearCookie(name, this.options());
  }
}
