import { passwordProblem } from './password-policy.rules.js';

describe(passwordProblem.name, () => {
  it.each([
    ['short', undefined, 'password.too_short'],
    ['elevenchars', undefined, 'password.too_short'],
    ['x'.repeat(257), undefined, 'password.too_long'],
    ['password1234', undefined, 'password.common'],
    ['QWERTY123456', undefined, 'password.common'],
    ['1q2w3e4r5t6y', undefined, 'password.common'],
    ['hanako.yamada-2026!', 'hanako.yamada', 'password.contains_login'],
    ['correct horse battery staple', 'hanako', null],
    ['血圧と体重を毎日はかります', undefined, null],
  ])('%s → %s', (password, loginId, expected) => {
    expect(passwordProblem(password, loginId)).toBe(expected);
  });
});
