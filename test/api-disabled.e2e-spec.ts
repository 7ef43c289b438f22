import request from 'supertest';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

/** Issue 15: an environment whose data transfer methods leave out `api` serves no REST API and shows no API clients. */
describe('an environment without api among DSP_DATA_TRANSFER_METHODS', () => {
  let portal: SignedInPortal;

  beforeAll(async () => {
    portal = await startSignedInPortal('no-api-admin', 'no api test passphrase', { DSP_DATA_TRANSFER_METHODS: 'sftp,csv' });
  });
  afterAll(() => portal?.close());

  it.each([
    ['GET', '/api/v1/groups'],
    ['POST', '/api/v1/oauth/token'],
    ['GET', '/api/v1/docs'],
    ['GET', '/api/v1'],
  ])('answers %s %s with a 404 problem', async (method, path) => {
    const response = await request(portal.server)[method === 'GET' ? 'get' : 'post'](path);
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).toMatchObject({ status: 404, code: 'api_not_enabled' });
  });

  it('hides API clients in the portal', async () => {
    const home = await portal.admin.get('/');
    expect(home.status).toBe(200);
    expect(home.text).not.toContain('href="/api-clients"');
    expect((await portal.admin.get('/api-clients')).status).toBe(404);
  });
});
