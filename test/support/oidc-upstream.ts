import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/**
 * A standard OpenID Connect server OpenDSP was not written for: `oidc-provider` (panva), served in-process at
 * OMRON's paths (`/connect/authorize`, `/connect/token`, `/connect/revocation`), with its development sign-in
 * and consent pages (any login, any password). Its answers are plain OIDC: an opaque access token, an id_token
 * for the client ID, `expires_in`, `token_type`, and `scope`.
 */
export interface OidcUpstream {
  /** Issuer, authorization website and token host at once (`OMRON_OAUTH_WEBSITE_URL` = `OMRON_OAUTH_API_URL`). */
  url: string;
  /** Walks sign-in and consent as `login` from an authorization URL; returns the redirect to the client. */
  signIn(authorizationUrl: URL, login: string): Promise<URL>;
  close(): Promise<void>;
}

export const OIDC_SCOPES = ['openid', 'offline_access', 'bloodpressure', 'activity', 'weight', 'temperature', 'oxygen'];

export async function startOidcUpstream(client: { clientId: string; clientSecret: string; redirectUri: string }): Promise<OidcUpstream> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(url, {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [client.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    routes: {
      authorization: '/connect/authorize',
      token: '/connect/token',
      revocation: '/connect/revocation',
      jwks: '/.well-known/jwks.json',
    },
    scopes: OIDC_SCOPES,
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, email: `${id}@oidc.test`, email_verified: true }),
    }),
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'oidc-upstream', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['oidc-upstream-test-cookie-key-0123456789'] },
    ttl: { AccessToken: 3600, AuthorizationCode: 600, Grant: 3600, IdToken: 3600, Interaction: 600, RefreshToken: 86_400, Session: 3600 },
  });
  server.on('request', provider.callback());

  return {
    url,
    signIn: (authorizationUrl, login) => walk(url, authorizationUrl, login, client.redirectUri),
    close: () => closeServer(server),
  };
}

/** Follows redirects and submits oidc-provider's development forms (login, then consent) with a cookie jar. */
async function walk(base: string, start: URL, login: string, redirectUri: string): Promise<URL> {
  const jar = new Map<string, string>();
  let next: { url: URL; form?: URLSearchParams } = { url: start };
  for (let step = 0; step < 12; step += 1) {
    if (next.url.toString().startsWith(redirectUri)) return next.url;
    const response = await fetch(next.url, {
      method: next.form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(next.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: next.form,
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    const location = response.headers.get('location');
    if (location) {
      next = { url: new URL(location, base) };
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (response.status !== 200 || !action || !prompt) throw new Error(`oidc-provider answered ${response.status}: ${html.slice(0, 500)}`);
    const form = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      form.set('login', login);
      form.set('password', 'any-password');
    }
    next = { url: new URL(action, base), form };
  }
  throw new Error('oidc-provider did not send the browser back to the client');
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
