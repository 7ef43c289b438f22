import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SandboxConfig } from '@opendsp/config';
import { jwtVerify, SignJWT, createLocalJWKSet } from 'jose';
import { SigningKeys } from './signing-keys.service.js';

export const SESSION_COOKIE = 'omron_sandbox_session';
/** A random value set with the sign-in form, to which the form's CSRF token is bound. */
export const SIGN_IN_FORM_COOKIE = 'omron_sandbox_sign_in';
const SESSION_AUDIENCE = 'omron-sandbox-sign-in';
export const SESSION_SECONDS = 60 * 60;

/**
 * The authorization website's sign-in session: a short-lived JWT in an HttpOnly cookie, signed with
 * the sandbox's signing key, so no session table is needed and sessions survive restarts.
 */
@Injectable()
export class SignInSessions {
  constructor(
    private readonly keys: SigningKeys,
    private readonly config: SandboxConfig,
  ) {}

  async issue(userId: string): Promise<string> {
    const { kid, privateKey } = await this.keys.current();
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject(userId)
      .setAudience(SESSION_AUDIENCE)
      .setIssuer(this.config.http.publicUrl)
      .setIssuedAt()
      .setExpirationTime(`${SESSION_SECONDS}s`)
      .sign(privateKey);
  }

  /** The signed-in user's id, or null for a missing, forged or expired session. */
  async userId(session: string | undefined): Promise<string | null> {
    if (!session) return null;
    try {
      const { payload } = await jwtVerify(session, createLocalJWKSet(await this.keys.jwks()), {
        audience: SESSION_AUDIENCE,
        issuer: this.config.http.publicUrl,
        algorithms: ['RS256'],
      });
      return payload.sub ?? null;
    } catch {
      return null;
    }
  }

  /**
   * A form's CSRF token: derived from a cookie a cross-site page can neither read nor guess (the
   * session cookie for the consent form, the sign-in form cookie for the sign-in form), so only pages
   * the sandbox rendered for that browser carry it.
   */
  csrfToken(cookie: string): string {
    return createHash('sha256').update(`csrf\u0000${cookie}`).digest('base64url');
  }

  /** Whether a posted token is the one for this cookie; false when either is missing. */
  csrfMatches(cookie: string | undefined, token: string): boolean {
    if (!cookie || !token) return false;
    const expected = Buffer.from(this.csrfToken(cookie));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** A fresh value for the sign-in form cookie. */
  newSignInFormCookie(): string {
    return randomBytes(32).toString('base64url');
  }
}
