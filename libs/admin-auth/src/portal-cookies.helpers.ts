import type { CookieOptions, Response } from 'express';
import type { DspConfig } from '@opendsp/config';

/**
 * The portal's cookies. Outside local development they are `__Host-` cookies: Secure, path `/`, no
 * domain, so no other host or subdomain can set or read them. In development over plain http a browser
 * would drop a Secure cookie, so they go without the prefix and the Secure flag there.
 */
export class PortalCookies {
  readonly secure: boolean;
  readonly session: string;
  readonly csrf: string;
  readonly language = 'dsp-lang';

  constructor(config: DspConfig) {
    this.secure = config.nodeEnv !== 'development';
    const prefix = this.secure ? '__Host-' : '';
    this.session = `${prefix}dsp-session`;
    this.csrf = `${prefix}dsp-csrf`;
  }

  private options(httpOnly: boolean): CookieOptions {
    return { httpOnly, secure: this.secure, sameSite: 'lax', path: '/' };
  }

  /** A session cookie lives as long as the browser; the server enforces idle and absolute timeouts. */
  setSession(res: Response, token: string): void {
    res.cookie(this.session, token, this.options(true));
  }

  clearSession(res: Response): void {
    res.clearCookie(this.session, this.options(true));
  }

  setCsrf(res: Response, value: string): void {
    res.cookie(this.csrf, value, this.options(true));
  }

  setLanguage(res: Response, language: string): void {
    res.cookie(this.language, language, { ...this.options(true), maxAge: 365 * 24 * 3_600_000 });
  }
}
