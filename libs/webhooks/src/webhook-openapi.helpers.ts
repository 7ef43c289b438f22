import type { WebhookEventType } from './webhook-events.catalogue.js';

/** A JSON Schema (OpenAPI 3.1 Schema Object), loosely typed. */
type Schema = Record<string, unknown>;

const string = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const instant = (description: string): Schema => string(description, { format: 'date-time' });
const OGSC_ID = string('The participant’s OGSC ID.');

const DATA: Record<WebhookEventType, { summary: string; data: Schema }> = {
  'readings.changed': {
    summary: 'Readings were added or updated (they are carried along up to a size limit)',
    data: {
      type: 'object',
      required: ['after_change_seq', 'through_change_seq', 'count', 'changes_url'],
      properties: {
        after_change_seq: string('Change sequence number after which this batch starts (exclusive).'),
        through_change_seq: string('Change sequence number of the batch’s last reading (inclusive).'),
        count: { type: 'integer', description: 'Readings in the batch (at most 500).' },
        changes_url: string('The change feed from `after_change_seq`: page it with an API client for the readings.', { format: 'uri' }),
        // The readings exactly as the change feed's `data` gives them.
        readings: { $ref: '#/components/schemas/ChangeFeedPageDto/properties/data' },
        readings_omitted: {
          type: 'boolean',
          description: 'True when the readings would exceed the size limit: fetch them from `changes_url`.',
        },
      },
    },
  },
  'participant.consented': {
    summary: 'A participant consented to share with one of the endpoint’s groups',
    data: {
      type: 'object',
      required: ['ogsc_id', 'group_id', 'scopes', 'consented_at'],
      properties: {
        ogsc_id: OGSC_ID,
        group_id: string('The group’s public ID.'),
        scopes: { type: 'array', items: { type: 'string' }, description: 'The data types agreed to (OMRON scopes).' },
        consented_at: instant('When consent was given.'),
      },
    },
  },
  'participant.withdrawn': {
    summary: 'A participant’s enrollment in one of the endpoint’s groups ended',
    data: {
      type: 'object',
      required: ['ogsc_id', 'group_id', 'by', 'readings_deleted', 'withdrawn_at'],
      properties: {
        ogsc_id: OGSC_ID,
        group_id: string('The group’s public ID.'),
        by: string('Who withdrew.', { enum: ['participant', 'admin'] }),
        readings_deleted: { type: 'integer', description: 'Readings deleted with the withdrawal.' },
        withdrawn_at: instant('When the enrollment ended.'),
      },
    },
  },
  'connection.reconnect_needed': {
    summary: 'OMRON refused a participant’s authorisation: they must connect again for data to flow',
    data: {
      type: 'object',
      required: ['ogsc_id', 'group_ids', 'reason', 'occurred_at'],
      properties: {
        ogsc_id: OGSC_ID,
        group_ids: { type: 'array', items: { type: 'string' }, description: 'The endpoint’s groups the participant is enrolled in.' },
        reason: { type: ['string', 'null'], description: 'OMRON’s error code, e.g. `invalid_grant`.' },
        occurred_at: instant('When the connection changed state.'),
      },
    },
  },
  'alert.raised': {
    summary: 'One of a group’s alert rules was met for a participant (see docs/insights.md, Alerts)',
    data: {
      type: 'object',
      required: ['alert_id', 'rule', 'group_id', 'ogsc_id', 'raised_at', 'measured_at', 'detail', 'portal_url'],
      properties: {
        alert_id: string('The alert’s ID, stable in the portal.', { format: 'uuid' }),
        rule: string('The rule that was met.', { enum: ['bp_crisis', 'possible_afib', 'no_reading', 'reconnect_needed'] }),
        group_id: string('The group’s public ID.'),
        ogsc_id: OGSC_ID,
        raised_at: instant('When the alert was raised.'),
        measured_at: {
          type: ['string', 'null'],
          format: 'date-time',
          description: 'The reading’s measurement time (for `no_reading`, the last reading’s); null for `reconnect_needed`.',
        },
        detail: {
          type: 'object',
          description:
            'What met the rule: `systolic_mmhg`, `diastolic_mmhg`, `possible_afib` and the lines in force, or `silent_days` and `readings_before`.',
        },
        portal_url: string('The reading on the participant’s chart in the portal (or the participant’s page).', { format: 'uri' }),
      },
    },
  },
};

const HEADERS = {
  'webhook-id': 'The message ID, the same on every retry and replay: deduplicate on it.',
  'webhook-timestamp': 'The attempt’s time in Unix seconds.',
  'webhook-signature': 'Space-separated `v1,<base64 HMAC-SHA256>` signatures (two during a secret rotation’s overlap).',
};

/**
 * The events as OpenAPI 3.1 `webhooks` (Standard Webhooks: signed with the endpoint's secret, verify with any
 * Standard Webhooks library); libs/api adds them to the REST API's document.
 */
export function webhooksOpenApi(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(DATA).map(([type, { summary, data }]) => [
      type,
      {
        post: {
          operationId: `webhook.${type}`,
          summary,
          tags: ['Webhooks'],
          parameters: Object.entries(HEADERS).map(([name, description]) => ({
            name,
            in: 'header',
            required: true,
            description,
            schema: { type: 'string' },
          })),
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['type', 'timestamp', 'data'],
                  properties: { type: { const: type }, timestamp: instant('When the event was made.'), data },
                },
              },
            },
          },
          responses: { '2XX': { description: 'Received. Anything else (or no answer in time) is retried with backoff for up to 3 days.' } },
        },
      },
    ]),
  );
}
