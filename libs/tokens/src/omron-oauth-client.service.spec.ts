import { parseRetryAfter, readTokenResponse, TokenResponseError } from './omron-oauth-client.service.js';

describe(parseRetryAfter.name, () => {
  const now = Date.parse('2026-11-23T10:00:00Z');

  it.each([
    ['7', 7000],
    [' 120 ', 120_000],
    ['Mon, 23 Nov 2026 10:00:30 GMT', 30_000],
    ['Mon, 23 Nov 2026 09:59:00 GMT', 0],
    [null, undefined],
    ['soon', undefined],
  ])('reads %p as %p ms', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});

describe(readTokenResponse.name, () => {
  const at = new Date('2026-12-06T00:00:00Z');

  it("reads the spec example's answer: camelCase lifetime and type, no id_token, no scope", () => {
    expect(
      readTokenResponse({ success: true, access_token: 'a.b.c', refresh_token: 'r', expiresIn: 3600, tokenType: 'Bearer' }, at),
    ).toEqual({ accessToken: 'a.b.c', refreshToken: 'r', idToken: undefined, expiresInSeconds: 3600, requestedAt: at });
  });

  it('reads the snake_case answer of the prose, with an id_token and the granted scope', () => {
    expect(
      readTokenResponse(
        { access_token: 'a', id_token: 'i', expires_in: '1800', token_type: 'bearer', scope: 'openid  weight offline_access', extra: 1 },
        at,
      ),
    ).toMatchObject({ accessToken: 'a', idToken: 'i', expiresInSeconds: 1800, grantedScope: 'openid weight offline_access' });
  });

  it.each([
    ['success false', { success: false, access_token: 'a', expires_in: 60 }],
    ['success "false"', { success: 'false', access_token: 'a', expires_in: 60 }],
    ['an error', { error: 'invalid_scope', access_token: 'a', expires_in: 60 }],
    ['no access token', { expires_in: 60 }],
    ['no lifetime', { access_token: 'a' }],
    ['a lifetime that is not a number', { access_token: 'a', expiresIn: 'soon' }],
    ['a token type other than Bearer', { access_token: 'a', expires_in: 60, tokenType: 'MAC' }],
  ])('refuses %s', (_name, body) => {
    expect(() => readTokenResponse(body, at)).toThrow(TokenResponseError);
  });

  it('never puts a token in its error', () => {
    expect(() => readTokenResponse({ access_token: 'secret-token-value', expires_in: 60, token_type: 'MAC' }, at)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret-token-value') }),
    );
  });
});
