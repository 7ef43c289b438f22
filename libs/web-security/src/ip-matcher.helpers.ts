import ipaddr from 'ipaddr.js';

/** Loopback blocks allowed in local development on top of the configured list. */
export const LOOPBACK_CIDRS = ['127.0.0.0/8'];

/** A client address as IPv4 dotted quad: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) unwrapped; anything else null. */
export function toIpv4(address: string | undefined): string | null {
  if (!address) return null;
  if (address === '::1') return '127.0.0.1';
  try {
    const parsed = ipaddr.process(address);
    return parsed.kind() === 'ipv4' ? parsed.toString() : null;
  } catch {
    return null;
  }
}

/**
 * A predicate for "this address is inside one of these IPv4 addresses or CIDR blocks". A bare address
 * means /32. IPv6 addresses match only when they are IPv4-mapped.
 */
export function ipv4Matcher(cidrs: readonly string[]): (address: string | undefined) => boolean {
  const ranges = cidrs.map((cidr) => (cidr.includes('/') ? ipaddr.IPv4.parseCIDR(cidr) : ([ipaddr.IPv4.parse(cidr), 32] as const)));
  return (address) => {
    const ipv4 = toIpv4(address);
    if (!ipv4) return false;
    const parsed = ipaddr.IPv4.parse(ipv4);
    return ranges.some((range) => parsed.match(range as [ipaddr.IPv4, number]));
  };
}
