/** The events an endpoint can subscribe to (the `type` of each message). */
export const WEBHOOK_EVENT_TYPES = [
  'readings.changed',
  'participant.consented',
  'participant.withdrawn',
  'connection.reconnect_needed',
  'alert.raised',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
