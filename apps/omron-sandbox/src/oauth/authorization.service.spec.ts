import { redirectWith, s256 } from './authorization.service.js';
import { parseScopeParam } from './scopes.js';

describe('s256', () => {
  it('matches the example of RFC 7636 appendix B', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});

describe('redirectWith', () => {
  it("keeps the redirect URI's own query, adds the parameters encoded and leaves out nulls", () => {
    expect(redirectWith('https://example.aviato.com/oauth?tenant=a', { code: 'c d&e', state: null })).toBe(
      'https://example.aviato.com/oauth?tenant=a&code=c+d%26e',
    );
  });

  it("gives the spec's denial", () => {
    expect(redirectWith('https://example.aviato.com/oauth', { error: 'access_denied', state: null })).toBe(
      'https://example.aviato.com/oauth?error=access_denied',
    );
  });
});

describe('parseScopeParam', () => {
  it('splits on any whitespace and drops duplicates and empty parts', () => {
    expect(parseScopeParam(' bloodpressure  activity\tbloodpressure openid ')).toEqual(['bloodpressure', 'activity', 'openid']);
    expect(parseScopeParam(undefined)).toEqual([]);
  });
});
