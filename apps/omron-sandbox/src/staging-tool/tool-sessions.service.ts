import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { parse } from 'cookie';
import type { Request, Response } from 'express';
import { SandboxUser } from '../users/sandbox-user.entity.js';
import { StagingToolSession } from './staging-tool-session.entity.js';

const SESSION_COOKIE = 'omron_tool_session';
const CSRF_COOKIE = 'omron_tool_csrf';
const SESSION_HOURS = 8;
const COOKIE_PATH = '/tool';

const digest = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Staging-tool sign-in sessions (an opaque cookie; its SHA-256 in the database) and CSRF protection by
 * double submit: every form carries the value of an HttpOnly, SameSite cookie, which another site can
 * neither read nor set.
 */
@Injectable()
export class ToolSessions {
  constructor(private readonly em: EntityManager) {}

  private cookies(request: Request): Record<string, string | undefined> {
    return parse(request.headers.cookie ?? '');
  }

  private secure(request: Request): boolean {
    return request.protocol === 'https';
  }

  async start(request: Request, response: Response, user: SandboxUser): Promise<void> {
    const token = randomBytes(32).toString('base64url');
    const em = this.em.fork();
    em.persist(
      new StagingToolSession(digest(token), em.getReference(SandboxUser, user.id), new Date(Date.now() + SESSION_HOURS * 3_600_000)),
    );
    await em.flush();
    response.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secure(request),
      path: COOKIE_PATH,
      maxAge: SESSION_HOURS * 3_600_000,
    });
  }

  /** The signed-in user's id, or null. */
  async userId(request: Request): Promise<string | null> {
    const token = this.cookies(request)[SESSION_COOKIE];
    if (!token) return null;
    const session = await this.em.fork().findOne(StagingToolSession, { tokenHash: digest(token) });
    if (!session || session.expiresAt.getTime() <= Date.now()) return null;
    return session.user.id;
  }

  async end(request: Request, response: Response): Promise<void> {
    const token = this.cookies(request)[SESSION_COOKIE];
    if (token) await this.em.fork().nativeDelete(StagingToolSession, { tokenHash: digest(token) });
    response.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH });
  }

  /** The CSRF token for the page being rendered (setting the cookie if the browser has none yet). */
  csrfToken(request: Request, response: Response): string {
    const existing = this.cookies(request)[CSRF_COOKIE];
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const token = randomBytes(32).toString('base64url');
    response.cookie(CSRF_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: this.secure(request), path: COOKIE_PATH });
    return token;
  }

  /** True when the form's `_csrf` matches the cookie. */
  csrfValid(request: Request, submitted: unknown): boolean {
    const expected = this.cookies(request)[CSRF_COOKIE];
    if (!expected || typeof submitted !== 'string' || submitted.length !== expected.length) return false;
    return timingSafeEqual(Buffer.from(submitted), Buffer.from(expected));
  }
}
