import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { loadDspConfig } from '@opendsp/config';
import { testDspEnv } from '../../../test/support/test-environment.js';
import { IdTokenRejectedError, IdTokenVerifier } from './id-token-verifier.service.js';

const ISSUER = 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_mkXRIn5uQ';
const APP_CLIENT = '14hivnsgfv9i56pbdudruuni3u';

/** The claim set of the Partner API spec's example access token (a Cognito ID token). */
function specExampleClaims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: '71e22ae7-fc68-4ffb-9db5-6407eb5b42fd',
    email_verified: true,
    iss: ISSUER,
    'cognito:username': '71e22ae7-fc68-4ffb-9db5-6407eb5b42fd',
    'custom:userId': 'c04fee05f05008aa07e737c2413a534beaf21996a0e8c6210525069b2c8670f7',
    origin_jti: '69f5fdfd-0126-4557-b9ea-947766f49aaf',
    aud: APP_CLIENT,
    event_id: 'bdd82c88-4682-456c-b935-7002790a6c9d',
    token_use: 'id',
    auth_time: now,
    'custom:appName': 'OCM',
    exp: now + 3600,
    iat: now,
    jti: '54f7939b-0f39-4a7d-b33c-9812c6528444',
    email: 'stg.oc.aus23@yopmail.com',
    ...overrides,
  };
}

describe(IdTokenVerifier.name, () => {
  let server: Server;
  let jwksUrl: string;
  let key: CryptoKey;
  let otherKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  function verifier(env: Record<string, string> = {}): IdTokenVerifier {
    return new IdTokenVerifier(
      loadDspConfig(
        testDspEnv({ OMRON_ID_TOKEN_ISSUER: ISSUER, OMRON_JWKS_URL: jwksUrl, OMRON_ID_TOKEN_AUDIENCE: `other-app,${APP_CLIENT}`, ...env }),
      ),
    );
  }

  const sign = (claims: JWTPayload, signer: CryptoKey = key) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(signer);

  it("reads the identity from the access token when there is no id_token (the spec's example)", async () => {
    const accessToken = await sign(specExampleClaims());
    await expect(verifier().identify({ accessToken })).resolves.toEqual({
      userId: '71e22ae7-fc68-4ffb-9db5-6407eb5b42fd',
      customUserId: 'c04fee05f05008aa07e737c2413a534beaf21996a0e8c6210525069b2c8670f7',
      email: 'stg.oc.aus23@yopmail.com',
      source: 'access_token',
    });
  });

  it('prefers the id_token when there is one, and accepts a Cognito access token (token_use access, client_id)', async () => {
    const { aud: _aud, ...withoutAud } = specExampleClaims({ token_use: 'access', client_id: APP_CLIENT });
    const idToken = await sign(withoutAud);
    await expect(verifier().identify({ accessToken: 'opaque', idToken })).resolves.toMatchObject({ source: 'id_token' });
  });

  it('takes the user ID from OMRON_USER_ID_CLAIM', async () => {
    const accessToken = await sign(specExampleClaims());
    await expect(verifier({ OMRON_USER_ID_CLAIM: 'custom:userId' }).identify({ accessToken })).resolves.toMatchObject({
      userId: 'c04fee05f05008aa07e737c2413a534beaf21996a0e8c6210525069b2c8670f7',
    });
  });

  it.each<[string, () => Promise<{ accessToken: string; idToken?: string }>, string]>([
    ['an opaque access token and no id_token', async () => ({ accessToken: 'opaque-token' }), 'no_identity_token'],
    ['another key', async () => ({ accessToken: await sign(specExampleClaims(), otherKey) }), 'signature'],
    ['another issuer', async () => ({ accessToken: await sign(specExampleClaims({ iss: 'https://elsewhere.example' })) }), 'issuer'],
    ['another audience', async () => ({ accessToken: await sign(specExampleClaims({ aud: 'someone-else' })) }), 'audience'],
    ['the client ID only by default', async () => ({ accessToken: await sign(specExampleClaims()) }), 'audience'],
    [
      'an expired token',
      async () => ({ accessToken: await sign(specExampleClaims({ exp: Math.floor(Date.now() / 1000) - 600 })) }),
      'expiry',
    ],
    ['a refresh token_use', async () => ({ accessToken: await sign(specExampleClaims({ token_use: 'refresh' })) }), 'token_use'],
    ['no sub', async () => ({ accessToken: await sign(specExampleClaims({ sub: undefined })) }), 'claim'],
    [
      'a bad id_token beside a good access token',
      async () => ({ accessToken: await sign(specExampleClaims()), idToken: 'a.b.c' }),
      'malformed',
    ],
  ])('refuses %s and names the check', async (name, tokens, check) => {
    const subject = name === 'the client ID only by default' ? verifier({ OMRON_ID_TOKEN_AUDIENCE: '' }) : verifier();
    const error = await subject.identify(await tokens()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IdTokenRejectedError);
    expect((error as IdTokenRejectedError).check).toBe(check);
    expect((error as Error).message).toMatch(new RegExp(`^${check} check failed`));
  });

  it('allows the configured clock skew on expiry', async () => {
    const accessToken = await sign(specExampleClaims({ exp: Math.floor(Date.now() / 1000) - 10 }));
    await expect(verifier({ TOKEN_CLOCK_SKEW_SECONDS: '30' }).identify({ accessToken })).resolves.toMatchObject({ source: 'access_token' });
  });
});
