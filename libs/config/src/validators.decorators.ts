import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';
import ipaddr from 'ipaddr.js';
import { REGIONS, type RegionId } from './regions.catalogue.js';

/** Splits a comma-separated variable into trimmed, non-empty items. */
export function splitList(value: unknown): unknown {
  return typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0)
    : value;
}

/** True for IANA zone names such as `Asia/Tokyo` or `UTC`; rejects offsets like `+09:00`. */
export function isIanaTimeZone(value: unknown): boolean {
  if (typeof value !== 'string' || !/^(UTC|[A-Za-z]+(\/[A-Za-z0-9_+-]+)+)$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** True for a single IPv4 address (`203.0.113.7`) or an IPv4 CIDR block (`203.0.113.0/24`). */
export function isIpv4AddressOrCidr(value: string): boolean {
  if (value.includes('/')) {
    if (!ipaddr.IPv4.isValidCIDR(value)) return false;
    // A block whose address has host bits set (10.0.0.1/8) is almost always a typo.
    const [address, prefix] = ipaddr.IPv4.parseCIDR(value);
    return ipaddr.IPv4.networkAddressFromCIDR(value).toString() === address.toString() && prefix >= 0;
  }
  return ipaddr.IPv4.isValidFourPartDecimal(value);
}

export function IsIanaTimeZone(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isIanaTimeZone',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: (args: ValidationArguments) =>
          `${args.property}: "${String(args.value)}" is not an IANA time zone name (e.g. Asia/Tokyo, America/New_York, UTC)`,
        ...options,
      },
      validator: { validate: isIanaTimeZone },
    });
}

export function IsIpv4CidrList(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isIpv4CidrList',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: (args: ValidationArguments) => {
          const bad = (args.value as string[]).filter((item) => !isIpv4AddressOrCidr(item));
          return `${args.property}: not an IPv4 address or CIDR block with a clean network address: ${bad.join(', ')}`;
        },
        ...options,
      },
      validator: {
        validate: (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === 'string' && isIpv4AddressOrCidr(item)),
      },
    });
}

/** Every listed country must belong to the region named by `regionProperty` on the same object. */
export function CountriesInRegion(regionProperty: string, options?: ValidationOptions): PropertyDecorator {
  const outside = (args: ValidationArguments): string[] => {
    const region = (args.object as Record<string, unknown>)[regionProperty] as RegionId;
    const countries = REGIONS[region]?.countries as Record<string, string> | undefined;
    return Array.isArray(args.value) ? (args.value as string[]).filter((code) => !countries?.[code]) : [];
  };
  return (target, propertyName) =>
    registerDecorator({
      name: 'countriesInRegion',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: (args: ValidationArguments) => {
          if (!Array.isArray(args.value) || args.value.length === 0)
            return `${args.property}: required (ISO 3166-1 alpha-2 codes, e.g. JP,KR)`;
          const region = (args.object as Record<string, unknown>)[regionProperty] as RegionId;
          const known = REGIONS[region] ? Object.keys(REGIONS[region].countries).join(', ') : 'none (unknown region)';
          return `${args.property}: ${outside(args).join(', ')} not in region "${String(region)}" (its countries: ${known})`;
        },
        ...options,
      },
      validator: {
        validate: (value: unknown, args: ValidationArguments) => {
          // An unknown region is reported on its own variable; listing every country again adds nothing.
          const region = (args.object as Record<string, unknown>)[regionProperty] as string;
          if (!Object.hasOwn(REGIONS, region)) return true;
          return Array.isArray(value) && value.length > 0 && outside(args).length === 0;
        },
      },
    });
}

/** Parses `id:base64key,…` into key IDs and raw keys; entries that do not parse come back with an empty key. */
export function parseEncryptionKeyList(value: string): { id: string; key: Buffer }[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const separator = entry.indexOf(':');
      const encoded = separator > 0 ? entry.slice(separator + 1) : '';
      return {
        id: separator > 0 ? entry.slice(0, separator) : entry,
        key: /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0),
      };
    });
}

export function IsEncryptionKeyList(options?: ValidationOptions): PropertyDecorator {
  const problems = (value: unknown): string[] => {
    if (typeof value !== 'string' || !value.trim()) return ['required'];
    const keys = parseEncryptionKeyList(value);
    const bad = keys.filter(({ id, key }) => !/^[A-Za-z0-9_-]+$/.test(id) || key.length !== 32).map(({ id }) => `"${id}"`);
    const ids = keys.map(({ id }) => id);
    const duplicates = ids.filter((id, index) => ids.indexOf(id) !== index);
    return [
      ...(bad.length ? [`entries ${bad.join(', ')} are not id:base64 with a 32-byte key`] : []),
      ...(duplicates.length ? [`duplicate key IDs ${duplicates.join(', ')}`] : []),
    ];
  };
  return (target, propertyName) =>
    registerDecorator({
      name: 'isEncryptionKeyList',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        // Never echoes the value: it is key material.
        message: (args: ValidationArguments) =>
          `${args.property}: ${problems(args.value).join('; ')} (format: id:base64key,… with keys of 32 random bytes)`,
        ...options,
      },
      validator: { validate: (value: unknown) => problems(value).length === 0 },
    });
}
