import { parse } from 'csv-parse/sync';
import { csvText } from '@opendsp/csv';
import { adherenceCsvRecords, type AdherenceRow } from './adherence.service.js';

describe('the adherence CSV', () => {
  const row = (internalCustomerId: string | null): AdherenceRow => ({
    participantId: '00000000-0000-4000-8000-000000000001',
    ogscId: 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6',
    internalCustomerId,
    periodStart: '2026-11-20',
    periodEnd: '2026-12-19',
    days: 7,
    needed: 9,
    met: false,
    reachable: true,
    lastChanceDay: '2026-12-11',
  });

  it('writes one line per participant, a customer ID that looks like a formula as text', () => {
    const text = csvText(adherenceCsvRecords('rolling', [row('=HYPERLINK("http://evil.example","x")'), row('P-1'), row(null)]));
    const [header, ...lines] = parse(text) as string[][];
    expect(header).toEqual([
      'ogsc_id',
      'internal_customer_id',
      'period',
      'period_start',
      'period_end',
      'days_with_readings',
      'threshold_days',
      'days_still_needed',
      'threshold_met',
      'can_still_be_met',
      'last_day_to_meet',
    ]);
    expect(lines.map((line) => line[1])).toEqual(['\'=HYPERLINK("http://evil.example","x")', 'P-1', '']);
    expect(lines[1]).toEqual([
      'OG-7K2M9QX4TR1B5ZW8HD3NCAE6',
      'P-1',
      'rolling',
      '2026-11-20',
      '2026-12-19',
      '7',
      '16',
      '9',
      'false',
      'true',
      '2026-12-11',
    ]);
  });
});
