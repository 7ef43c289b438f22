import { arrayLiteral } from './bound-statement.helpers.js';

describe('arrayLiteral', () => {
  it('leaves IDs, numbers, timestamps and flags bare, and quotes and escapes any other text', () => {
    expect(arrayLiteral(['9007199254740993', '2026-01-01T09:00:00.000Z', 32_400, -1.5, true, false, null, undefined])).toBe(
      '{9007199254740993,2026-01-01T09:00:00.000Z,32400,-1.5,t,f,NULL,NULL}',
    );
    expect(arrayLiteral(['HEM-7361T', 'OMRON HEM-7600T', '', 'null', 'NULL', 'a,b', '{x}', 'say "hi"', 'back\\slash', '[1,2]'])).toBe(
      '{HEM-7361T,"OMRON HEM-7600T","","null","NULL","a,b","{x}","say \\"hi\\"","back\\\\slash","[1,2]"}',
    );
    expect(arrayLiteral([])).toBe('{}');
  });
});
