import { ipv4Matcher, toIpv4 } from './ip-matcher.helpers.js';

describe(ipv4Matcher.name, () => {
  const allowed = ipv4Matcher(['203.0.113.0/24', '198.51.100.10', '10.0.0.0/8', '192.0.2.128/25']);

  it.each([
    ['203.0.113.0', true],
    ['203.0.113.255', true],
    ['203.0.112.255', false],
    ['203.0.114.0', false],
    ['198.51.100.10', true],
    ['198.51.100.11', false],
    ['10.255.255.255', true],
    ['11.0.0.0', false],
    ['192.0.2.127', false],
    ['192.0.2.128', true],
    ['192.0.2.255', true],
    ['::ffff:203.0.113.9', true],
    ['::ffff:127.0.0.1', false],
    ['2001:db8::1', false],
    ['::1', false],
    ['not-an-ip', false],
    ['', false],
    ['203.0.113.5, 1.2.3.4', false],
  ])('%s → %s', (address, expected) => {
    expect(allowed(address)).toBe(expected);
  });

  it('matches nothing with an empty list, and everything with 0.0.0.0/0', () => {
    expect(ipv4Matcher([])('127.0.0.1')).toBe(false);
    expect(ipv4Matcher(['0.0.0.0/0'])('8.8.8.8')).toBe(true);
    expect(ipv4Matcher(['0.0.0.0/0'])('2001:db8::1')).toBe(false);
  });

  it('treats IPv6 loopback as 127.0.0.1 and unwraps IPv4-mapped addresses', () => {
    expect(toIpv4('::1')).toBe('127.0.0.1');
    expect(toIpv4('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(toIpv4(undefined)).toBeNull();
  });
});
