import { loadDspConfig } from '@opendsp/config';
import { TEST_PRODUCTION_SETTINGS, testDspEnv } from '../../../test/support/test-environment.js';
import { sourceAllowed } from './web-security.helpers.js';

describe(sourceAllowed.name, () => {
  const config = (overrides: Record<string, string>) =>
    loadDspConfig(testDspEnv({ DSP_ALLOWED_SOURCE_IPS: '198.51.100.0/28,203.0.113.9', ...overrides }));

  it.each([
    ['test', '198.51.100.0', true],
    ['test', '198.51.100.15', true],
    ['test', '198.51.100.16', false],
    ['test', '203.0.113.9', true],
    ['test', '203.0.113.10', false],
    ['test', '127.0.0.1', false],
    ['test', '::1', false],
    ['development', '127.0.0.1', true],
    ['development', '127.1.2.3', true],
    ['development', '::1', true],
    ['development', '::ffff:127.0.0.1', true],
    ['development', '10.0.0.1', false],
    ['production', '127.0.0.1', false],
    ['production', undefined, false],
  ] as const)('NODE_ENV=%s: %s → %s', (nodeEnv, address, expected) => {
    const settings = nodeEnv === 'production' ? TEST_PRODUCTION_SETTINGS : { NODE_ENV: nodeEnv };
    expect(sourceAllowed(config(settings))(address)).toBe(expected);
  });
});
