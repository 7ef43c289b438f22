import { createdAtCursor, encodeCursor, ISO_MICROS, parseCreatedAtCursor, parseCursor, UUID } from './keyset-cursor.helpers.js';

const ID = '0b6f7a52-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

describe('keyset cursors', () => {
  it('reads back the parts it wrote, plain and opaque', () => {
    const parts = ['2026-11-23T10:00:00.123456Z', ID];
    expect(parseCursor(encodeCursor(parts), [ISO_MICROS, UUID])).toEqual(parts);
    const opaque = encodeCursor(parts, 'opaque');
    expect(opaque).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(parseCursor(opaque, [ISO_MICROS, UUID], 'opaque')).toEqual(parts);
  });

  it('keeps a first part that contains the separator whole', () => {
    expect(parseCursor(`Study ~ wave 2~${ID}`, [/^.{1,200}$/, UUID])).toEqual(['Study ~ wave 2', ID]);
  });

  it('refuses cursors that are not of the list’s shape', () => {
    const shape = [ISO_MICROS, UUID];
    for (const value of [
      undefined,
      '',
      'garbage',
      `x~${ID}`,
      '2026-11-23T10:00:00.123456Z~y',
      `2026-13-45T10:00:00.123456Z~${ID}`,
      ['a'],
    ]) {
      expect([value, parseCursor(value, shape)]).toEqual([value, null]);
    }
    // The opaque form: not base64url, not JSON, not an array, the wrong number of parts, a part of the wrong shape.
    for (const value of [
      'a+b/',
      Buffer.from('{').toString('base64url'),
      encodeCursor([]),
      encodeCursor(['OG-1']),
      encodeCursor(["OG-1' or 1=1"], 'opaque'),
    ]) {
      expect([value, parseCursor(value, [/^OG-[0-9A-Z]{24}$/], 'opaque')]).toEqual([value, null]);
    }
  });

  it('pages newest first by creation time and ID', () => {
    const row = { createdAt: new Date('2026-11-23T10:00:00.123Z'), id: ID };
    expect(createdAtCursor(row)).toBe(`2026-11-23T10:00:00.123Z~${ID}`);
    expect(parseCreatedAtCursor(createdAtCursor(row))).toEqual(row);
    expect(parseCreatedAtCursor(`2026-11-23T10:00:00Z~${ID}`)).toBeNull();
    expect(parseCreatedAtCursor('garbage')).toBeNull();
  });
});
