import request from 'supertest';

type App = Parameters<typeof request>[0];

/** Undoes Handlebars' HTML escaping of an attribute value. */
function unescapeHtml(value: string): string {
  return value
    .replace(/&#x3D;/g, '=')
    .replace(/&#x27;/g, "'")
    .replace(/&#x60;/g, '`')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** A hidden input's value on a rendered page. */
export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no hidden field ${name} on the page:\n${html}`);
  return unescapeHtml(match[1]!);
}

/** `name=value` of a cookie a response sets, for a later request's Cookie header. */
export function cookieFrom(response: request.Response, name: string): string {
  const line = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((candidate) => candidate.startsWith(`${name}=`));
  if (!line) throw new Error(`the response sets no ${name} cookie`);
  return line.split(';')[0]!;
}

/** The sign-in page of an authorization URL: its hidden fields and the form cookie they are bound to. */
export async function openSignInForm(server: App, path: string): Promise<{ request: string; csrf: string; cookie: string; html: string }> {
  const page = await request(server).get(path).expect(200);
  return {
    request: hiddenField(page.text, 'request'),
    csrf: hiddenField(page.text, 'csrf'),
    cookie: cookieFrom(page, 'omron_sandbox_sign_in'),
    html: page.text,
  };
}

/**
 * Walks the sandbox's authorization website without a browser, as a user would: opens the
 * authorization URL, signs in, and approves or denies. Returns the redirect the app would receive.
 */
export async function walkConsent(
  server: App,
  authorizationUrl: URL,
  user: { email: string; password: string },
  decision: 'approve' | 'deny',
): Promise<URL> {
  const path = `${authorizationUrl.pathname}${authorizationUrl.search}`;
  const form = await openSignInForm(server, path);
  const signedIn = await request(server)
    .post('/connect/authorize/sign-in')
    .set('Cookie', form.cookie)
    .type('form')
    .send({ request: form.request, csrf: form.csrf, email: user.email, password: user.password })
    .expect(303);
  const cookie = cookieFrom(signedIn, 'omron_sandbox_session');
  const consent = await request(server).get(signedIn.headers.location!).set('Cookie', cookie).expect(200);
  const answered = await request(server)
    .post('/connect/authorize/decision')
    .set('Cookie', cookie)
    .type('form')
    .send({ request: hiddenField(consent.text, 'request'), csrf: hiddenField(consent.text, 'csrf'), decision })
    .expect(303);
  return new URL(answered.headers.location!);
}
