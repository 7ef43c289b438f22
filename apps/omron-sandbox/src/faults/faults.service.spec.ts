import { FaultSettingsDto } from './fault-settings.dto.js';
import { FaultsService } from './faults.service.js';

const settings = (overrides: Partial<FaultSettingsDto>): FaultSettingsDto =>
  Object.assign(new FaultSettingsDto(), { endpoint: '/x', ...overrides });

describe(FaultsService.name, () => {
  it('repeats the same decisions for the same seed', () => {
    const faults = new FaultsService();
    const draw = () => Array.from({ length: 50 }, () => faults.decide('/x')?.action);
    faults.set(settings({ seed: 9, errorRate: 0.3, truncateRate: 0.2 }));
    const first = draw();
    faults.set(settings({ seed: 9, errorRate: 0.3, truncateRate: 0.2 }));
    expect(draw()).toEqual(first);
    expect(first).toEqual(expect.arrayContaining(['none', 'error', 'truncate']));
  });

  it('answers a burst of consecutive 429s once one starts', () => {
    const faults = new FaultsService();
    faults.set(settings({ rateLimitBurstRate: 1, rateLimitBurstLength: 4 }));
    expect(Array.from({ length: 4 }, () => faults.decide('/x')!.action)).toEqual(['rate-limit', 'rate-limit', 'rate-limit', 'rate-limit']);
  });

  it('ignores paths without faults and matches * for the rest', () => {
    const faults = new FaultsService();
    expect(faults.decide('/x')).toBeNull();
    faults.set(settings({ endpoint: '*', errorRate: 1 }));
    expect(faults.decide('/anything/')?.action).toBe('error');
    faults.clear();
    expect(faults.decide('/anything')).toBeNull();
  });
});
