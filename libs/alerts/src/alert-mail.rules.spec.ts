import { alertMail } from './alert-mail.rules.js';

const FACTS = {
  rule: 'bp_crisis' as const,
  group: { groupId: 'G7K2M9QX4TR1', displayName: 'Hypertension clinic' },
  ogscId: 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6',
  measuredAt: new Date('2026-12-01T23:30:00Z'),
  detail: { systolic_mmhg: 185, diastolic_mmhg: 95, note: null },
  chartUrl: 'https://dsp.example/participants/OG-7K2M9QX4TR1B5ZW8HD3NCAE6?days=7&end=2026-12-02#reading-7',
  inboxUrl: 'https://dsp.example/alerts/3f1c',
};

describe(alertMail.name, () => {
  it('writes the subject and body in English, with the time in the platform’s time zone', () => {
    const mail = alertMail('en', 'Asia/Tokyo', FACTS);
    expect(mail.subject).toBe('[OpenDSP] Blood pressure at or above the crisis line — Hypertension clinic');
    expect(mail.text.split('\n')).toEqual([
      'Blood pressure at or above the crisis line',
      '',
      'Group: Hypertension clinic (G7K2M9QX4TR1)',
      'Participant: OG-7K2M9QX4TR1B5ZW8HD3NCAE6',
      'Measured: 2026-12-02 08:30:00 GMT+9',
      '  systolic_mmhg: 185',
      '  diastolic_mmhg: 95',
      '  note: —',
      '',
      `On the participant’s chart: ${FACTS.chartUrl}`,
      `Inbox: ${FACTS.inboxUrl}`,
      '',
    ]);
  });

  it('writes the subject and body in Japanese', () => {
    const mail = alertMail('ja', 'Asia/Tokyo', {
      ...FACTS,
      rule: 'reconnect_needed',
      measuredAt: null,
      detail: { reason: 'invalid_grant' },
    });
    expect(mail.subject).toBe('[OpenDSP] 参加者のOMRON連携の再連携が必要です — Hypertension clinic');
    expect(mail.text.split('\n')).toEqual([
      '参加者のOMRON連携の再連携が必要です',
      '',
      'グループ：Hypertension clinic（G7K2M9QX4TR1）',
      '参加者：OG-7K2M9QX4TR1B5ZW8HD3NCAE6',
      '  reason: invalid_grant',
      '',
      `参加者のグラフ：${FACTS.chartUrl}`,
      `受信箱：${FACTS.inboxUrl}`,
      '',
    ]);
  });

  it('has a headline for every rule in both languages', () => {
    for (const rule of ['bp_crisis', 'possible_afib', 'no_reading', 'reconnect_needed'] as const)
      for (const language of ['en', 'ja'] as const)
        expect(alertMail(language, 'UTC', { ...FACTS, rule }).subject).not.toContain('alerts.mail');
  });
});
