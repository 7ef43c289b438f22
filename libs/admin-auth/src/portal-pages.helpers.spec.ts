import { noticeKey, safeLocalPath } from './portal-pages.helpers.js';

describe(safeLocalPath.name, () => {
  it.each([
    ['/groups?status=all', '/groups?status=all'],
    ['/', '/'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['/a b', '/'],
    [undefined, '/'],
    [['/x'], '/'],
  ])('%j → %s', (value, expected) => {
    expect(safeLocalPath(value)).toBe(expected);
  });

  it('shows only known notices', () => {
    expect(noticeKey('saved')).toBe('notice.saved');
    expect(noticeKey('<script>')).toBeUndefined();
  });
});
