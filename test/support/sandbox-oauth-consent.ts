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
  const signInPage = await request(server).get(path).expect(200);
  const signedIn = await request(server)
    .post('/connect/authorize/sign-in')
    .type('form')
    .send({ request: hiddenField(signInPage.text, 'request'), email: user.email, password: user.password })
    .expect(303);
  const cookie = signedIn.headers['set-cookie']![0]!.split(';')[0]!;
  const consent = await request(server).get(signedIn.headers.location!).set('Cookie', cookie).expect(200);
  const answered = await request(server)
    .post('/connect/authorize/decision')
    .set('Cookie', cookie)
    .type('form')
    .send({ request: hiddenField(consent.text, 'request'), csrf: hiddenField(consent.text, 'csrf'), decision })
    .expect(303);
  return new URL(answered.headers.location!);
}
