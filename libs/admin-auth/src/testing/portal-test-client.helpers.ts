import type { Server } from 'node:http';
import request, { type Response } from 'supertest';

type Form = Record<string, string | string[] | undefined>;

/**
 * A browser stand-in for portal tests: keeps cookies itself (supertest's agent will not send `Secure`
 * cookies over plain http, and the portal's cookies are Secure outside development) and reads the CSRF
 * token from the pages it loads.
 */
export class PortalTestClient {
  readonly cookies = new Map<string, string>();
  csrfToken = '';

  constructor(
    private readonly server: Server,
    private readonly headers: Record<string, string> = {},
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private remember(res: Response): Response {
    const setCookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const expired = attributes.some((attribute) => /^\s*expires=Thu, 01 Jan 1970/i.test(attribute));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(res.text ?? '')?.[1];
    if (token) this.csrfToken = token;
    return res;
  }

  async get(path: string): Promise<Response> {
    return this.remember(await request(this.server).get(path).set(this.headers).set('Cookie', this.cookieHeader()));
  }

  /** Posts a form; with `csrf: false` the token is left out (to see the request refused). */
  async post(path: string, form: Form = {}, options: { csrf?: boolean } = {}): Promise<Response> {
    const body = options.csrf === false ? form : { _csrf: this.csrfToken, ...form };
    return this.remember(
      await request(this.server).post(path).set(this.headers).set('Cookie', this.cookieHeader()).type('form').send(body),
    );
  }

  /** Loads the sign-in page and signs in; returns the response of the POST. */
  async signIn(loginId: string, password: string): Promise<Response> {
    await this.get('/login');
    return this.post('/login', { loginId, password });
  }

  get sessionCookie(): string | undefined {
    return [...this.cookies].find(([name]) => name.endsWith('dsp-session'))?.[1];
  }
}
