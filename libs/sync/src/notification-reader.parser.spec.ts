import { parseNotificationTimestamp, readNotificationBody } from './notification-reader.parser.js';

describe(readNotificationBody.name, () => {
  it('reads the fields under any of their names, ignoring unknown ones', () => {
    expect(readNotificationBody({ sub: 'u1', measurementType: 'blood_pressure', timestamp: '2026-01-01T00:00:00Z', x: 1 })).toEqual({
      ok: true,
      ignored: 0,
      notifications: [{ userId: 'u1', type: 'bloodpressure', notifiedAt: new Date('2026-01-01T00:00:00Z') }],
    });
  });

  it('takes the first of id, userId, user_id, sub; no type means every kind; a type it does not sync is ignored', () => {
    expect(
      readNotificationBody([
        { id: 'a', userId: 'b' },
        { userId: 'c', type: 'sleep' },
      ]),
    ).toEqual({
      ok: true,
      ignored: 1,
      notifications: [{ userId: 'a', type: null, notifiedAt: null }],
    });
  });

  it.each([[{}], [[]], [null], ['text'], [[{ id: 'a' }, 5]], [{ id: '' }], [{ id: 'x'.repeat(201) }]])('cannot map %p', (body) => {
    expect(readNotificationBody(body).ok).toBe(false);
  });
});

describe(parseNotificationTimestamp.name, () => {
  it.each([
    [1_767_225_600_000, '2026-01-01T00:00:00.000Z'],
    ['1767225600000', '2026-01-01T00:00:00.000Z'],
    [1_767_225_600, '2026-01-01T00:00:00.000Z'],
    ['1767225600', '2026-01-01T00:00:00.000Z'],
    ['2026-01-01T09:00:00+09:00', '2026-01-01T00:00:00.000Z'],
    ['soon', null],
    [undefined, null],
    [5, null],
  ])('reads %p as %p', (value, iso) => {
    expect(parseNotificationTimestamp(value)?.toISOString() ?? null).toBe(iso);
  });
});
