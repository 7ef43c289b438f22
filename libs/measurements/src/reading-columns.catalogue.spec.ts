import { MetadataStorage, UnderscoreNamingStrategy } from '@mikro-orm/core';
import { MEASUREMENT_KIND_NAMES, MEASUREMENT_KINDS } from './measurement-kinds.catalogue.js';
import { ACTIVITY_HOUR_COLUMNS, omronReadOf, READING_BASE_COLUMNS, READING_CATALOGUE } from './reading-columns.catalogue.js';
import { READING_ENTITIES } from './reading.entity.js';

const naming = new UnderscoreNamingStrategy();

/** Decorator metadata of a class by name (entities register it when their module loads). */
function metadataOf(className: string) {
  const found = Object.values(MetadataStorage.getMetadata()).find((meta) => meta.className === className);
  if (!found) throw new Error(`no metadata for ${className}`);
  return found;
}

/** The entity's type names as the catalogue spells them (the writer's casts). */
const SQL_TYPE: Record<string, string> = { integer: 'int', double: 'double precision', json: 'jsonb' };

/** The scalar columns an entity declares (its own and the common base's): `name type nullable`. */
function entityColumns(table: string): string[] {
  const entity = READING_ENTITIES.find((candidate) => metadataOf(candidate.name).tableName === table);
  if (!entity) throw new Error(`no entity for ${table}`);
  const base = Object.getPrototypeOf(entity) as { name: string };
  const properties = { ...(base.name ? metadataOf(base.name).properties : {}), ...metadataOf(entity.name).properties };
  return Object.values(properties)
    .filter((property) => !property.kind || property.kind === 'scalar')
    .map((property) => {
      const column = (property as { fieldName?: string }).fieldName ?? naming.propertyToColumnName(property.name);
      const type = String(property.type);
      return `${column} ${SQL_TYPE[type] ?? type} ${property.nullable === true}`;
    });
}

describe('READING_CATALOGUE', () => {
  it("names exactly each entity's value columns, with their types and nullability", () => {
    const common = [...READING_BASE_COLUMNS.map(([column]) => column), 'id', 'change_seq', 'created_at', 'updated_at'];
    for (const kind of MEASUREMENT_KIND_NAMES) {
      const values = entityColumns(MEASUREMENT_KINDS[kind].table).filter((column) => !common.includes(column.split(' ')[0]));
      const catalogued = READING_CATALOGUE[kind].map((value) => `${value.column} ${value.sqlType} ${value.nullable}`);
      expect([kind, values.sort()]).toEqual([kind, catalogued.sort()]);
    }
  });

  it("names exactly the hourly entity's columns, with their types and nullability, and reads each from its OMRON field", () => {
    const values = entityColumns('activity_hourly_reading').filter((column) => column.split(' ')[0] !== 'id');
    const catalogued = ACTIVITY_HOUR_COLUMNS.map((value) => `${value.column} ${value.sqlType} ${value.nullable}`);
    expect(values.sort()).toEqual(catalogued.sort());
    expect(ACTIVITY_HOUR_COLUMNS.filter((value) => typeof value.omronField !== 'string')).toEqual([]);
    expect(ACTIVITY_HOUR_COLUMNS[0].column).toBe('hour');
  });

  it('reads each value from its OMRON field, or converts it from columns of the same kind', () => {
    for (const kind of MEASUREMENT_KIND_NAMES) {
      const columns = READING_CATALOGUE[kind].map((value) => value.column);
      for (const value of READING_CATALOGUE[kind]) {
        const read = omronReadOf(value);
        const source =
          read.as === 'converted'
            ? { omronField: value.omronField, from: columns.includes(read.from), unit: columns.includes(read.unitColumn) }
            : { omronField: typeof value.omronField };
        const expected = read.as === 'converted' ? { omronField: null, from: true, unit: true } : { omronField: 'string' };
        expect([kind, value.column, source]).toEqual([kind, value.column, expected]);
      }
    }
  });
});
