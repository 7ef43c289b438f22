import request from 'supertest';
import { ApiClientsService, hashCredential } from '@opendsp/api';
import { startApiStack, problemOf, type ApiStack } from './support/api-stack.js';

describe('REST API authentication: client credentials, bearer tokens, rate limit, allowlist', () => {
  let stack: ApiStack;

  beforeAll(async () => {
    stack = await startApiStack({ API_RATE_LIMIT_PER_MINUTE: '40', API_ACCESS_TOKEN_TTL_SECONDS: '120' });
  });
  afterAll(() => stack?.close());

  const tokenRequest = () => request(stack.server).post('/api/v1/oauth/token').type('form');

  it('issues a short-lived opaque token for HTTP Basic or form credentials, storing only hashes', async () => {
    const group = await stack.group('Auth group');
    const { clientId, secret, client } = await stack.client(['participants:read', 'measurements:read'], [group]);

    const basic = await tokenRequest().auth(clientId, secret).send({ grant_type: 'client_credentials' }).expect(200);
    expect(basic.body).toEqual({
      access_token: expect.stringMatching(/^dspt_[A-Za-z0-9_-]{43}$/),
      token_type: 'Bearer',
      expires_in: 120,
      scope: 'participants:read measurements:read',
    });
    expect(basic.headers['cache-control']).toBe('no-store');
    const posted = await tokenRequest()
      .send({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope: 'measurements:read' })
      .expect(200);
    expect(posted.body.scope).toBe('measurements:read');

    const [row] = await stack.sql<{ secret_hash: string; last_token_issued_at: Date | null }>(
      `select secret_hash, last_token_issued_at from api_client where id = $1`,
      [client.id],
    );
    expect(row.secret_hash).toBe(hashCredential(secret));
    expect(row.last_token_issued_at).not.toBeNull();
    const tokens = await stack.sql<{ token_hash: string; expires_at: Date }>(
      `select token_hash, expires_at from api_access_token where client_id = $1`,
      [client.id],
    );
    expect(tokens.map((token) => token.token_hash).sort()).toEqual(
      [hashCredential(basic.body.access_token), hashCredential(posted.body.access_token)].sort(),
    );
    // Neither the secret nor a token appears anywhere in the client's rows.
    const dump =
      JSON.stringify(await stack.sql(`select * from api_client`)) + JSON.stringify(await stack.sql(`select * from api_access_token`));
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(basic.body.access_token);
    const lifetime = tokens[0].expires_at.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(100_000);
    expect(lifetime).toBeLessThanOrEqual(120_000);

    // The token works, and only with its own scopes.
    await request(stack.server).get('/api/v1/groups').auth(basic.body.access_token, { type: 'bearer' }).expect(200);
    const narrow = await request(stack.server).get('/api/v1/groups').auth(posted.body.access_token, { type: 'bearer' }).expect(403);
    expect(problemOf(narrow)).toMatchObject({ code: 'insufficient_scope', status: 403, type: 'urn:opendsp:problem:insufficient_scope' });
    expect(narrow.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });

  it('refuses bad token requests with RFC 6749 error codes inside problem details', async () => {
    const { clientId, secret } = await stack.client(['participants:read'], 'all');
    const cases: [string, request.Test, number, string][] = [
      ['no grant type', tokenRequest().auth(clientId, secret).send({}), 400, 'invalid_request'],
      ['password grant', tokenRequest().auth(clientId, secret).send({ grant_type: 'password' }), 400, 'unsupported_grant_type'],
      ['wrong secret', tokenRequest().auth(clientId, `${secret}x`).send({ grant_type: 'client_credentials' }), 401, 'invalid_client'],
      [
        'unknown client',
        tokenRequest().auth('dspc_00000000000000000000', secret).send({ grant_type: 'client_credentials' }),
        401,
        'invalid_client',
      ],
      ['no credentials', tokenRequest().send({ grant_type: 'client_credentials' }), 401, 'invalid_client'],
      [
        'scope not granted',
        tokenRequest().auth(clientId, secret).send({ grant_type: 'client_credentials', scope: 'participants:write' }),
        400,
        'invalid_scope',
      ],
      [
        'unknown scope',
        tokenRequest().auth(clientId, secret).send({ grant_type: 'client_credentials', scope: 'admin' }),
        400,
        'invalid_scope',
      ],
      [
        'two methods at once',
        tokenRequest().auth(clientId, secret).send({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
        400,
        'invalid_request',
      ],
      [
        'grant type twice',
        tokenRequest().auth(clientId, secret).send('grant_type=client_credentials&grant_type=client_credentials'),
        400,
        'invalid_request',
      ],
    ];
    for (const [name, pending, status, code] of cases) {
      const res = await pending;
      expect([name, res.status]).toEqual([name, status]);
      expect(problemOf(res)).toMatchObject({ code, error: code, status, error_description: expect.any(String) });
    }
    const refused = await tokenRequest().auth(clientId, 'nope').send({ grant_type: 'client_credentials' });
    expect(refused.headers['www-authenticate']).toBe('Basic realm="opendsp"');
  });

  it('answers 401 with problem details for missing, malformed, unknown and expired tokens', async () => {
    const { clientId, secret, client } = await stack.client(['participants:read'], 'all');
    const token = await stack.token(clientId, secret);
    for (const header of [undefined, 'Bearer', `Basic ${token}`, 'Bearer dspt_nope', `Bearer ${token}x`]) {
      const pending = request(stack.server).get('/api/v1/groups');
      const res = await (header ? pending.set('Authorization', header) : pending);
      expect([header, res.status]).toEqual([header, 401]);
      expect(problemOf(res)).toMatchObject({ code: 'invalid_token', instance: '/api/v1/groups' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="opendsp"/);
    }
    await stack.sql(`update api_access_token set expires_at = now() - interval '1 second' where client_id = $1`, [client.id]);
    const expired = await request(stack.server).get('/api/v1/groups').auth(token, { type: 'bearer' }).expect(401);
    expect(expired.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('stops a disabled client at once, tokens included, and lets it back in when enabled', async () => {
    const { clientId, secret, client } = await stack.client(['participants:read'], 'all');
    const token = await stack.token(clientId, secret);
    await stack.sql(`update api_client set disabled_at = now() where id = $1`, [client.id]);
    await request(stack.server).get('/api/v1/groups').auth(token, { type: 'bearer' }).expect(401);
    const refused = await tokenRequest().auth(clientId, secret).send({ grant_type: 'client_credentials' }).expect(401);
    expect(problemOf(refused).code).toBe('invalid_client');
    await stack.sql(`update api_client set disabled_at = null where id = $1`, [client.id]);
    await stack.token(clientId, secret);
  });

  it('accepts the previous secret during a rotation overlap and not after it', async () => {
    const { clientId, secret: oldSecret, client } = await stack.client(['participants:read'], 'all');
    const rotation = await stack.app.get(ApiClientsService).rotateSecret(client.id, 1, { login: 'tester' });
    await stack.token(clientId, rotation.secret);
    await stack.token(clientId, oldSecret);
    await stack.sql(`update api_client set previous_secret_expires_at = now() - interval '1 second' where id = $1`, [client.id]);
    await tokenRequest().auth(clientId, oldSecret).send({ grant_type: 'client_credentials' }).expect(401);
    await stack.token(clientId, rotation.secret);
  });

  it('counts requests per client with RateLimit headers, and answers 429 with Retry-After when spent', async () => {
    const busy = await stack.client(['participants:read'], 'all', 'Busy client');
    const calm = await stack.client(['participants:read'], 'all', 'Calm client');
    const busyToken = await stack.token(busy.clientId, busy.secret);
    const calmToken = await stack.token(calm.clientId, calm.secret);
    const first = await request(stack.server).get('/api/v1/groups').auth(busyToken, { type: 'bearer' }).expect(200);
    expect(first.headers['ratelimit-policy']).toBe('"default";q=40;w=60');
    expect(first.headers.ratelimit).toMatch(/^"default";r=39;t=([1-9]|[1-5]\d|60)$/);
    let refused: request.Response | undefined;
    for (let i = 0; i < 45 && !refused; i++) {
      const res = await request(stack.server).get('/api/v1/groups').auth(busyToken, { type: 'bearer' });
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(200);
    }
    expect(refused).toBeDefined();
    expect(problemOf(refused!)).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused!.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused!.headers.ratelimit).toMatch(/^"default";r=0;t=\d+$/);
    // Another client's budget is its own.
    await request(stack.server).get('/api/v1/groups').auth(calmToken, { type: 'bearer' }).expect(200);
    // The count lives in PostgreSQL, shared by every web process.
    const [bucket] = await stack.sql<{ points: number }>(`select points from api_rate_limit where key = $1`, [
      `api:client:${busy.client.id}`,
    ]);
    expect(bucket.points).toBeGreaterThan(40);
  });

  it('slows down token guessing from one address', async () => {
    let status = 0;
    for (let i = 0; i < 45 && status !== 429; i++) {
      status = (
        await request(stack.server)
          .get('/api/v1/groups')
          .set('X-Forwarded-For', '203.0.113.9')
          .set('Authorization', `Bearer dspt_${'a'.repeat(43)}`)
      ).status;
    }
    // Without TRUST_PROXY the header is ignored: the guesses count against 127.0.0.1, whose budget this spends.
    expect(status).toBe(429);
  });
});

describe('REST API behind the IPv4 allowlist', () => {
  let stack: ApiStack;

  beforeAll(async () => {
    stack = await startApiStack({ DSP_ALLOWED_SOURCE_IPS: '203.0.113.0/24', TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(() => stack?.close());

  it('refuses every API path, the token endpoint and the docs to other addresses with problem details', async () => {
    const { clientId, secret } = await stack.client(['participants:read'], 'all');
    const allowed = await request(stack.server)
      .post('/api/v1/oauth/token')
      .set('X-Forwarded-For', '203.0.113.7')
      .auth(clientId, secret)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    for (const path of ['/api/v1/groups', '/api/v1/oauth/token', '/api/v1/docs', '/api/v1/openapi.json', '/api/v1/no-such-thing']) {
      const res = await request(stack.server)
        .get(path)
        .set('X-Forwarded-For', '198.51.100.7')
        .auth(allowed.body.access_token, { type: 'bearer' });
      expect([path, res.status]).toEqual([path, 403]);
      expect(problemOf(res)).toMatchObject({ code: 'source_not_allowed', status: 403 });
    }
    await request(stack.server)
      .get('/api/v1/groups')
      .set('X-Forwarded-For', '203.0.113.7')
      .auth(allowed.body.access_token, { type: 'bearer' })
      .expect(200);
  });
});
