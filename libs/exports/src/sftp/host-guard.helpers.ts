import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * Address ranges an SFTP destination may not point into unless EXPORT_SFTP_ALLOW_PRIVATE_HOSTS=true: the
 * platform's own machine and network, and cloud metadata services (169.254.169.254 is link-local,
 * 100.100.100.200 carrier-grade NAT, fd00:ec2::254 unique-local). Otherwise anyone allowed to manage
 * destinations could use "test connection" to probe the inside of the platform's network.
 */
const BLOCKED_RANGES = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'private',
  'uniqueLocal',
  'carrierGradeNat',
  'reserved',
  'ipv4Mapped',
  'rfc6145',
  'rfc6052',
  '6to4',
  'teredo',
]);

/** True for an address in a loopback, private, link-local, metadata or otherwise non-public range. */
export function isPrivateAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return BLOCKED_RANGES.has(parsed.range());
}

/** The addresses a host name or literal stands for (none when it does not resolve). */
async function addressesOf(host: string): Promise<string[]> {
  const literal = host.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(literal)) return [literal];
  try {
    return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
  } catch {
    return [];
  }
}

/**
 * Where to connect for `host`: its first address, after every address it resolves to has been checked. With
 * `allowPrivate`, the host itself (no check). Null when the host is, or resolves into, a refused range.
 * Connecting to the checked address (not the name again) keeps a second DNS answer from changing it.
 */
export async function vetHost(host: string, allowPrivate: boolean): Promise<{ allowed: true; address: string } | { allowed: false }> {
  if (allowPrivate) return { allowed: true, address: host };
  const addresses = await addressesOf(host);
  // A name that does not resolve fails at connect time like any unreachable host.
  if (addresses.length === 0) return { allowed: true, address: host };
  return addresses.some(isPrivateAddress) ? { allowed: false } : { allowed: true, address: addresses[0] };
}
