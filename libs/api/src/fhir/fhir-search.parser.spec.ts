import { ApiProblem } from '../problems/api-problem.exception.js';
import { parseCodeCriteria, parseDateCriteria } from './fhir-search.parser.js';

const iso = (criteria: ReturnType<typeof parseDateCriteria>) => ({
  from: criteria.from?.toISOString(),
  to: criteria.to?.toISOString(),
  excluded: criteria.excluded.map((range) => [range.from.toISOString(), range.to.toISOString()]),
  empty: criteria.empty,
});

describe('FHIR date search values', () => {
  it.each([
    ['2026', '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['eq2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
    ['2026-11-23T19:00+09:00', '2026-11-23T10:00:00.000Z', '2026-11-23T10:01:00.000Z'],
    ['2026-11-23T19:00:05-05:30', '2026-11-24T00:30:05.000Z', '2026-11-24T00:30:06.000Z'],
    ['2026-11-23T10:00:05.25Z', '2026-11-23T10:00:05.250Z', '2026-11-23T10:00:05.251Z'],
    // A '+' sent unencoded in a query string arrives as a space.
    ['2026-11-23T19:00:00 09:00', '2026-11-23T10:00:00.000Z', '2026-11-23T10:00:01.000Z'],
  ])('%s is the range its precision says', (value, from, to) => {
    expect(iso(parseDateCriteria([value]))).toEqual({ from, to, excluded: [], empty: false });
  });

  it('combines prefixes: the tightest bounds, ne as exclusions, and crossing bounds as empty', () => {
    expect(iso(parseDateCriteria(['ge2026-11-01', 'gt2026-11-02', 'le2026-11-30', 'lt2026-11-20', 'ne2026-11-10']))).toEqual({
      from: '2026-11-03T00:00:00.000Z',
      to: '2026-11-20T00:00:00.000Z',
      excluded: [['2026-11-10T00:00:00.000Z', '2026-11-11T00:00:00.000Z']],
      empty: false,
    });
    expect(iso(parseDateCriteria(['sa2026-11-01', 'eb2026-11-01']))).toMatchObject({
      from: '2026-11-02T00:00:00.000Z',
      to: '2026-11-01T00:00:00.000Z',
      empty: true,
    });
  });

  it.each([
    '2026-02-29',
    '2026-13',
    '2026-11-23T24:00Z',
    '2026-11-23T10:60Z',
    '2026-11-23T10:00',
    'ap2026',
    'ge',
    '26-11-23',
    '2026-11-23T10:00:00.1234567Z',
  ])('refuses %s with a 400 naming date', (value) => {
    expect(() => parseDateCriteria([value])).toThrow(ApiProblem);
    try {
      parseDateCriteria([value]);
    } catch (error) {
      expect((error as ApiProblem).body().errors).toEqual([expect.objectContaining({ field: 'date', code: 'invalid_date' })]);
    }
  });
});

describe('FHIR code search values', () => {
  const tokens = (value?: string) => parseCodeCriteria(value).map((type) => type.token);

  it('matches codes with or without their system, any of a comma-separated list', () => {
    expect(tokens('8867-4')).toEqual(['bp-hr', 'spo2-hr']);
    expect(tokens('http://loinc.org|2708-6, 29463-7')).toEqual(['weight', 'spo2']);
    expect(tokens('urn:other|8867-4')).toEqual([]);
    expect(tokens(undefined)).toHaveLength(9);
  });

  it('refuses empty codes', () => {
    expect(() => parseCodeCriteria('8867-4,')).toThrow(ApiProblem);
    expect(() => parseCodeCriteria('|')).toThrow(ApiProblem);
  });
});
