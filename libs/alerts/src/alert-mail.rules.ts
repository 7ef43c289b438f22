import type { Language } from '@opendsp/config';
import { formatDateTime, translate } from '@opendsp/i18n';
import type { AlertRule } from './alert-rules.catalogue.js';

/** What an alert's e-mail says. */
export interface AlertMailFacts {
  rule: AlertRule;
  group: { groupId: string; displayName: string };
  ogscId: string;
  measuredAt: Date | null;
  /** What met the rule, by the detail's field names (the same names as the webhook event's). */
  detail: Record<string, unknown>;
  chartUrl: string;
  inboxUrl: string;
}

/**
 * An alert's e-mail to one admin, in their language (the portal's catalogues): the subject names the rule and the
 * group; the body the participant, when the reading was measured (in the platform's time zone), what met the
 * rule, and links to the chart and the inbox.
 */
export function alertMail(language: Language, timeZone: string, facts: AlertMailFacts): { subject: string; text: string } {
  const t = (key: string, params?: Record<string, unknown>) => translate(language, key, params);
  const headline = t(`alerts.mail.headline.${facts.rule}`);
  const lines = [
    headline,
    '',
    t('alerts.mail.group', { name: facts.group.displayName, groupId: facts.group.groupId }),
    t('alerts.mail.participant', { ogscId: facts.ogscId }),
    ...(facts.measuredAt ? [t('alerts.mail.measured', { at: formatDateTime(facts.measuredAt, language, timeZone) })] : []),
    ...Object.entries(facts.detail).map(([name, value]) => `  ${name}: ${value === null ? '—' : String(value)}`),
    '',
    t('alerts.mail.chart', { url: facts.chartUrl }),
    t('alerts.mail.inbox', { url: facts.inboxUrl }),
  ];
  return { subject: t('alerts.mail.subject', { headline, group: facts.group.displayName }), text: `${lines.join('\n')}\n` };
}
