import { ACTIVITY_HOUR_COLUMNS, MEASUREMENT_KIND_NAMES, READING_CATALOGUE } from '@opendsp/measurements';
import { ActivityHourDto, READING_DTOS, ReadingBaseDto } from './readings.dto.js';

/** Where `@ApiProperty` lists a class's properties (`DECORATORS.API_MODEL_PROPERTIES_ARRAY`, not exported by the package root). */
const API_MODEL_PROPERTIES_ARRAY = 'swagger/apiModelPropertiesArray';

/** The documented property names of a DTO class, inherited ones included, in declaration order. */
function documented(dto: object): string[] {
  const names = (Reflect.getMetadata(API_MODEL_PROPERTIES_ARRAY, dto) ?? []) as string[];
  return [...new Set(names.map((name) => name.replace(/^:/, '')))];
}

describe('reading DTOs', () => {
  it("document exactly the catalogue's API fields of each kind, so the OpenAPI schema and the JSON cannot drift apart", () => {
    const base = documented(ReadingBaseDto.prototype);
    for (const kind of MEASUREMENT_KIND_NAMES) {
      const own = documented(READING_DTOS[kind].prototype).filter((name) => !base.includes(name));
      const expected = [...READING_CATALOGUE[kind].map((column) => column.apiField), ...(kind === 'activity' ? ['hourly'] : [])];
      expect([kind, own.sort()]).toEqual([kind, expected.sort()]);
    }
  });

  it("documents exactly the catalogue's API fields of an activity day's hours", () => {
    expect(documented(ActivityHourDto.prototype).sort()).toEqual(ACTIVITY_HOUR_COLUMNS.map((column) => column.apiField).sort());
  });
});
