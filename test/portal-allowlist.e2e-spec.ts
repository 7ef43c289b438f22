import type { NestExpressApplication } from '@nestjs/platform-express';
import { jest } from '@jest/globals';
import request from 'supertest';
import { loadDspConfig } from '@opendsp/config';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './support/test-database.js';
import { testDspEnv, TEST_PRODUCTION_SETTINGS } from './support/test-environment.js';

/** The tests connect from 127.0.0.1; the allowlist below does not include it. */
const ALLOWLIST = '203.0.113.0/24';

describe('IPv4 allowlist', () => {
  let database: TestDatabase;
  const apps: NestExpressApplication[] = [];

  async function platform(overrides: Record<string, string>) {
    const app = await createDspApp(
      loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, DSP_ALLOWED_SOURCE_IPS: ALLOWLIST, ...overrides })),
    );
    await app.init();
    apps.push(app);
    return app.getHttpServer();
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    // Development and production apps print the first-run setup link; it is not what this file checks.
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database?.drop();
  });

  it('refuses the portal to an address outside the list, and a spoofed X-Forwarded-For changes nothing', async () => {
    const server = await platform({});
    const refused = await request(server).get('/login').expect(403);
    expect(refused.text).toContain('not allowed');
    await request(server).get('/login').set('X-Forwarded-For', '203.0.113.5').expect(403);
    await request(server)
      .post('/login')
      .type('form')
      .send({ loginId: 'test-admin', password: 'x' })
      .set('X-Forwarded-For', '203.0.113.5')
      .expect(403);
    await request(server).get('/api/anything').expect(403);
  });

  it('keeps /health and /health/ready reachable for probes from anywhere', async () => {
    const server = await platform({});
    await request(server).get('/health').expect(200);
    await request(server).get('/health/ready').expect(200);
    // Not a page of the portal: exempt paths are matched whole, not by prefix.
    await request(server).get('/healthz').expect(403);
    await request(server).get('/consentless').expect(403);
  });

  it('believes X-Forwarded-For only from a configured proxy, and only its rightmost untrusted hop', async () => {
    const server = await platform({ TRUST_PROXY: '127.0.0.1' });
    // The proxy (127.0.0.1) says the client is 203.0.113.5: allowed.
    await request(server).get('/login').set('X-Forwarded-For', '203.0.113.5').expect(200);
    // A client at 198.51.100.7 wrote 203.0.113.5 itself; the proxy appended the real address: refused.
    await request(server).get('/login').set('X-Forwarded-For', '203.0.113.5, 198.51.100.7').expect(403);
    await request(server).get('/login').set('X-Forwarded-For', '198.51.100.7').expect(403);
    // Without the header the proxy itself is the client, and it is not on the list.
    await request(server).get('/login').expect(403);
  });

  it('records the client address a trusted proxy reports in the audit log', async () => {
    const server = await platform({ TRUST_PROXY: '127.0.0.0/8' });
    const page = await request(server).get('/login').set('X-Forwarded-For', '203.0.113.77').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const cookies = ([] as string[]).concat(page.headers['set-cookie']).map((line) => line.split(';')[0]);
    await request(server)
      .post('/login')
      .set('X-Forwarded-For', '203.0.113.77')
      .set('Cookie', cookies.join('; '))
      .type('form')
      .send({ _csrf: csrf, loginId: 'someone', password: 'wrong password!' })
      .expect(401);
    const [event] = await adminQuery(
      database.settings.url,
      `select ip from audit_event where action = 'auth.login_failed' order by id desc limit 1`,
    );
    expect(event.ip).toBe('203.0.113.77');
  });

  it('lets loopback in during local development only', async () => {
    const development = await platform({ NODE_ENV: 'development' });
    await request(development).get('/login').expect(200);
    const production = await platform(TEST_PRODUCTION_SETTINGS);
    await request(production).get('/login').expect(403);
  });
});
