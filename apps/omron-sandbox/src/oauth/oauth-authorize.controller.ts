import { Controller, Get, Header, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { EntityManager } from '@mikro-orm/postgresql';
import { parse as parseCookies } from 'cookie';
import { SandboxConfig } from '@opendsp/config';
import { SandboxUser } from '../users/sandbox-user.entity.js';
import { verifySandboxUserCredentials } from '../users/sandbox-users.js';
import { AuthorizationService, type AuthorizationRequest } from './authorization.service.js';
import { SESSION_COOKIE, SESSION_SECONDS, SIGN_IN_FORM_COOKIE, SignInSessions } from './sign-in-sessions.js';

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  bloodpressure: 'Blood pressure readings (systolic, diastolic, pulse, irregular heartbeat)',
  activity: 'Activity: steps, distance and calories',
  weight: 'Weight and body composition',
  temperature: 'Body temperature',
  oxygen: 'Blood oxygen saturation (SpO2)',
  ecg: 'ECG recordings (sandbox extension)',
  openid: 'Your OMRON user ID and e-mail address',
  offline_access: 'Keep access while you are not using the application',
};

function formField(request: Request, name: string): string {
  const value = (request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/**
 * The spec's authorization website (`GET /connect/authorize`): sign in as a sandbox user, then approve
 * or deny the application. Forms post and redirect; the request's parameters travel in a hidden field
 * and are checked again on every post, never trusted from the form.
 */
@Controller('connect/authorize')
export class OAuthAuthorizeController {
  constructor(
    private readonly authorization: AuthorizationService,
    private readonly sessions: SignInSessions,
    private readonly em: EntityManager,
    private readonly config: SandboxConfig,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @Header('X-Frame-Options', 'DENY')
  async authorize(@Req() request: Request, @Res() response: Response): Promise<void> {
    const valid = await this.checked(request.query, response);
    if (!valid) return;
    const session = this.sessionCookie(request);
    const userId = await this.sessions.userId(session);
    const user = userId ? await this.em.fork().findOne(SandboxUser, { id: userId }) : null;
    if (!user || !session) {
      response.render('oauth/sign-in', this.signInModel(valid, this.signInFormCookie(request, response)));
      return;
    }
    response.render('oauth/consent', {
      title: `Connect ${valid.app.displayName}`,
      app: valid.app,
      email: user.email,
      scopes: valid.scopes.map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] ?? name })),
      request: valid.query,
      csrf: this.sessions.csrfToken(session),
    });
  }

  @Post('sign-in')
  @Header('Cache-Control', 'no-store')
  @Header('X-Frame-Options', 'DENY')
  async signIn(@Req() request: Request, @Res() response: Response): Promise<void> {
    const valid = await this.checked(this.carriedRequest(request), response);
    if (!valid) return;
    // Login CSRF: without this, another site could sign the browser in as a user of its choosing.
    const formCookie = this.cookie(request, SIGN_IN_FORM_COOKIE);
    if (!this.sessions.csrfMatches(formCookie, formField(request, 'csrf'))) {
      response.status(403).render('oauth/error', {
        title: 'Request refused',
        message: 'This sign-in form has expired or was not sent from this sandbox. Open the sign-in page again.',
        retryUrl: `/connect/authorize?${valid.query}`,
      });
      return;
    }
    const email = formField(request, 'email');
    const user = await verifySandboxUserCredentials(this.em.fork(), email, formField(request, 'password'));
    if (!user) {
      response
        .status(401)
        .render('oauth/sign-in', { ...this.signInModel(valid, formCookie!), email, error: 'The e-mail address or password is incorrect.' });
      return;
    }
    response.cookie(SESSION_COOKIE, await this.sessions.issue(user.id), {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.http.publicUrl.startsWith('https:'),
      path: '/connect/authorize',
      maxAge: SESSION_SECONDS * 1000,
    });
    response.redirect(303, `/connect/authorize?${valid.query}`);
  }

  @Post('sign-out')
  async signOut(@Req() request: Request, @Res() response: Response): Promise<void> {
    response.clearCookie(SESSION_COOKIE, { path: '/connect/authorize' });
    const valid = await this.checked(this.carriedRequest(request), response);
    if (valid) response.redirect(303, `/connect/authorize?${valid.query}`);
  }

  @Post('decision')
  @Header('Cache-Control', 'no-store')
  async decide(@Req() request: Request, @Res() response: Response): Promise<void> {
    const valid = await this.checked(this.carriedRequest(request), response);
    if (!valid) return;
    const session = this.sessionCookie(request);
    const userId = await this.sessions.userId(session);
    // Signed out or expired meanwhile: back to the request, which shows the sign-in page.
    if (!userId || !session) return response.redirect(303, `/connect/authorize?${valid.query}`);
    if (!this.sessions.csrfMatches(session, formField(request, 'csrf'))) {
      response.status(403).render('oauth/error', {
        title: 'Request refused',
        message: 'This form has expired. Go back to the application and start again.',
        retryUrl: `/connect/authorize?${valid.query}`,
      });
      return;
    }
    const decision = formField(request, 'decision');
    if (decision === 'approve') return response.redirect(303, await this.authorization.approve(valid, userId));
    if (decision === 'deny') return response.redirect(303, this.authorization.deny(valid));
    response.status(400).render('oauth/error', { title: 'Request refused', message: 'Choose Allow or Deny.' });
  }

  /** Answers an invalid request (error page or error redirect) and returns null, or returns the valid request. */
  private async checked(params: Record<string, unknown>, response: Response): Promise<AuthorizationRequest | null> {
    const check = await this.authorization.check(params);
    if (check.outcome === 'valid') return check.request;
    if (check.outcome === 'redirect') response.redirect(303, check.location);
    else response.status(400).render('oauth/error', { title: 'Authorization request refused', message: check.message });
    return null;
  }

  /** The original request's parameters, carried by a form in the `request` field. */
  private carriedRequest(request: Request): Record<string, unknown> {
    const params: Record<string, unknown> = {};
    for (const [name, value] of new URLSearchParams(formField(request, 'request'))) {
      params[name] = name in params ? [params[name], value] : value;
    }
    return params;
  }

  private sessionCookie(request: Request): string | undefined {
    return this.cookie(request, SESSION_COOKIE);
  }

  private cookie(request: Request, name: string): string | undefined {
    return parseCookies(request.headers.cookie ?? '')[name];
  }

  /** The browser's sign-in form cookie, set now if it has none (kept, so several open tabs all work). */
  private signInFormCookie(request: Request, response: Response): string {
    const existing = this.cookie(request, SIGN_IN_FORM_COOKIE);
    if (existing) return existing;
    const value = this.sessions.newSignInFormCookie();
    response.cookie(SIGN_IN_FORM_COOKIE, value, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.http.publicUrl.startsWith('https:'),
      path: '/connect/authorize',
    });
    return value;
  }

  private signInModel(valid: AuthorizationRequest, formCookie: string) {
    return { title: 'Sign in to OMRON connect', app: valid.app, request: valid.query, csrf: this.sessions.csrfToken(formCookie) };
  }
}
