import { upsertRegisteredApp } from '../apps/omron-sandbox/src/registered-apps/registered-apps.service.js';
import { CONSENT_CLIENT_ID, CONSENT_CLIENT_SECRET, startConsentStack, type ConsentStack } from './support/consent-stack.js';

/** Issue 15: the scopes a consent asks for follow DSP_REGION and the group's data types; invalid_scope is explained. */
describe('consent scopes by region and group', () => {
  let stack: ConsentStack;
  beforeAll(async () => {
    stack = await startConsentStack({ DSP_REGION: 'europe', DSP_COUNTRIES: 'DE' });
  }, 120_000);
  afterAll(() => stack?.close());

  async function authorizationScope(groupName: string, dataTypes: string[] | null) {
    const group = await stack.group(groupName);
    if (dataTypes) await stack.sql(`update program_group set data_types = $1 where id = $2`, [dataTypes, group.id]);
    const client = stack.client();
    await stack.openLink(client, stack.consentUrl(group));
    const toOmron = await client.post('/consent/omron');
    expect(toOmron.status).toBe(302);
    return { group, client, scope: new URL(toOmron.headers.location!).searchParams.get('scope') };
  }

  it('asks for all five data types in Europe', async () => {
    expect((await authorizationScope('Europe Default', null)).scope).toBe(
      'bloodpressure activity weight temperature oxygen openid offline_access',
    );
  });

  it("asks only for the group's data types, and the consent screen lists only those", async () => {
    const { client, scope } = await authorizationScope('Weight Only', ['weight', 'oxygen']);
    expect(scope).toBe('weight oxygen openid offline_access');
    // Sign in at the sandbox on a fresh link (the one above went to OMRON already).
    const group = await stack.group('Weight Only 2');
    await stack.sql(`update program_group set data_types = '{weight}' where id = $1`, [group.id]);
    await stack.openLink(client, stack.consentUrl(group));
    await stack.follow(client, await stack.omron(client, 'narrow@sandbox.test'));
    const screen = await client.get('/consent/consent');
    expect([...screen.text.matchAll(/data-scope="(\w+)"/g)].map((match) => match[1])).toEqual(['weight']);
  });

  it("reconnects with the consented groups' data types, together for a person in several groups", async () => {
    const client = stack.client();
    const consentTo = async (name: string, dataTypes: string[]) => {
      const group = await stack.group(name);
      await stack.sql(`update program_group set data_types = $1 where id = $2`, [dataTypes, group.id]);
      await stack.openLink(client, stack.consentUrl(group));
      await stack.follow(client, await stack.omron(client, 'reconnect-scopes@sandbox.test'));
      await client.get('/consent/consent');
      expect((await client.post('/consent/consent', { decision: 'accept' })).status).toBe(303);
    };
    const reconnectScope = async () => {
      const toOmron = await client.post('/consent/me/reconnect');
      expect(toOmron.status).toBe(302);
      return new URL(toOmron.headers.location!).searchParams.get('scope');
    };
    await consentTo('Reconnect Weight', ['weight']);
    expect(await reconnectScope()).toBe('weight openid offline_access');
    await consentTo('Reconnect Oxygen', ['oxygen', 'bloodpressure']);
    expect(await reconnectScope()).toBe('bloodpressure weight oxygen openid offline_access');
  });

  it('explains an invalid_scope answer to the participant and alerts the group', async () => {
    // The sandbox refuses scopes the app is not allowed: OMRON answers invalid_scope the same way.
    await upsertRegisteredApp(stack.sandbox.em(), {
      clientId: CONSENT_CLIENT_ID,
      clientSecret: CONSENT_CLIENT_SECRET,
      displayName: 'OpenDSP consent tests',
      redirectUris: [`${stack.baseUrl}/consent/callback`],
      allowedScopes: ['bloodpressure', 'activity', 'weight', 'openid', 'offline_access'],
    });
    const group = await stack.group('Refused Scopes');
    const client = stack.client();
    await stack.openLink(client, stack.consentUrl(group));
    const toOmron = await client.post('/consent/omron');
    const back = new URL((await fetch(toOmron.headers.location!, { redirect: 'manual' })).headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('invalid_scope');
    const page = await stack.follow(client, back);
    expect(page.status).toBe(502);
    expect(page.text).toContain('refused the data types this program asks for');
    const [row] = await stack.sql<{ refused: boolean }>(`select scope_refused_at is not null as refused from program_group where id = $1`, [
      group.id,
    ]);
    expect(row).toEqual({ refused: true });
  });
});
