import { formatSinceDate, MeasurementParamError, measurementRequestBody, parseMeasurementParams, parseSinceDate } from '@opendsp/omron-api';

describe(parseSinceDate.name, () => {
  it.each(['12-01-2015', '12/01/2015', '2015-12-01', '12-1-2015'])('reads %s as 1 December 2015, UTC', (value) => {
    expect(parseSinceDate(value)?.toISOString()).toBe('2015-12-01T00:00:00.000Z');
  });

  it('reads a date-time as UTC unless it carries an offset', () => {
    expect(parseSinceDate('2022-02-03T16:44:13')?.toISOString()).toBe('2022-02-03T16:44:13.000Z');
    expect(parseSinceDate('2022-02-03T16:44:13+09:00')?.toISOString()).toBe('2022-02-03T07:44:13.000Z');
  });

  it.each(['13-01-2015', '02-30-2015', '2015-13-01', '2015-12-01T25:00', 'yesterday', '', '1969-12-31', '2015/12/01'])(
    'refuses %j',
    (value) => {
      expect(parseSinceDate(value)).toBeNull();
    },
  );

  it('formats the ISO form', () => {
    expect(formatSinceDate(new Date('2015-12-01T13:00:00Z'))).toBe('2015-12-01');
  });
});

describe(parseMeasurementParams.name, () => {
  const parse = (body: Record<string, unknown>) => parseMeasurementParams(body, { maxLimit: 1000 });

  it('defaults to every granted type, newest first, no limit', () => {
    expect(parse({})).toEqual({ since: null, limit: null, type: null, includeHourlyActivity: false, sortOrder: 'desc', after: {} });
  });

  it('reads every parameter, pagination keys per type', () => {
    expect(
      parse({
        since: '2022-02-01',
        limit: '25',
        type: 'weight',
        includeHourlyActivity: 'TRUE',
        sortOrder: 'asc',
        weightPaginationKey: '1644225686000',
      }),
    ).toEqual({
      since: new Date('2022-02-01T00:00:00Z'),
      limit: 25,
      type: 'weight',
      includeHourlyActivity: true,
      sortOrder: 'asc',
      after: { weight: 1644225686000 },
    });
  });

  it('treats empty values as absent', () => {
    expect(parse({ since: '', limit: ' ' })).toMatchObject({ since: null, limit: null });
  });

  it.each([
    [{ limit: '1001' }, 'limit'],
    [{ limit: '2.5' }, 'limit'],
    [{ limit: ['1', '2'] }, 'limit'],
    [{ type: 'steps' }, 'type'],
    [{ foo: 'bar' }, 'foo'],
    [{ oxygenPaginationKey: '-1' }, 'oxygenPaginationKey'],
  ])('refuses %j naming %s', (body, parameter) => {
    expect(() => parse(body)).toThrow(MeasurementParamError);
    try {
      parse(body);
    } catch (error) {
      expect((error as MeasurementParamError).parameter).toBe(parameter);
    }
  });

  it('builds the form body a client sends', () => {
    expect(measurementRequestBody({ type: 'bloodpressure', since: '2022-02-01', limit: 1 }).toString()).toBe(
      'type=bloodpressure&since=2022-02-01&limit=1',
    );
  });
});
