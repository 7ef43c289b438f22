import { redirectUrlProblem } from './redirect-url.rules.js';

describe(redirectUrlProblem.name, () => {
  it.each([
    ['https://example.com/welcome', 'production', null],
    ['https://example.com:8443/a?b=c', 'production', null],
    // OMRON's default result page (DSP document, section 3, note 3) registers like any https URL.
    ['https://connect.omron.example/app/oauth2-frontend/static/result.html', 'production', null],
    ['http://example.com/welcome', 'production', 'redirect_url.https_required'],
    ['http://localhost:8080/cb', 'development', null],
    ['http://127.0.0.1/cb', 'development', null],
    ['http://[::1]:3000/cb', 'development', null],
    ['http://localhost:8080/cb', 'production', 'redirect_url.https_required'],
    ['http://localhost.evil.com/cb', 'development', 'redirect_url.https_required'],
    ['https://user:pw@example.com/', 'production', 'redirect_url.credentials'],
    ['https://example.com/#frag', 'production', 'redirect_url.fragment'],
    ['/relative/path', 'production', 'redirect_url.invalid'],
    ['javascript:alert(1)', 'production', 'redirect_url.invalid'],
    ['ftp://example.com/', 'production', 'redirect_url.invalid'],
    ['https://exa mple.com/', 'production', 'redirect_url.invalid'],
    ['', 'production', 'form.required'],
    [`https://example.com/${'a'.repeat(2000)}`, 'production', 'form.too_long'],
  ] as const)('%s in %s → %s', (url, nodeEnv, expected) => {
    expect(redirectUrlProblem(url, nodeEnv)).toBe(expected);
  });
});
