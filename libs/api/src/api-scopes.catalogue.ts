/**
 * What an API client may be allowed to do. A token carries a subset of its client's scopes; each
 * operation names the one it needs.
 */
export const API_SCOPES = {
  'participants:read': 'Read groups, participants (enrollment, consent and connection state, sync ledger), devices and consent links',
  'measurements:read': 'Read measurements of participants and the change feed',
  'participants:write': 'Create pre-created participants and set internal customer IDs',
  'exports:read': "Download the portal's CSV exports of a group's readings (/api/v1/exports)",
  'insights:read': "Read a group's remote-monitoring adherence (/api/v1/groups/{groupId}/adherence)",
  'alerts:read': "Read a group's alerts (/api/v1/groups/{groupId}/alerts)",
  'alerts:write': "Acknowledge a group's alerts with a note (/api/v1/groups/{groupId}/alerts/{alertId}/acknowledge)",
} as const;

export type ApiScope = keyof typeof API_SCOPES;
export const API_SCOPE_NAMES = Object.keys(API_SCOPES) as ApiScope[];

export function isApiScope(value: unknown): value is ApiScope {
  return typeof value === 'string' && (API_SCOPE_NAMES as string[]).includes(value);
}

/** Scopes in their canonical order, space-delimited (RFC 6749 `scope`). */
export function formatScopes(scopes: readonly ApiScope[]): string {
  return API_SCOPE_NAMES.filter((scope) => scopes.includes(scope)).join(' ');
}

export function parseScopes(value: string): ApiScope[] {
  return value.split(' ').filter(isApiScope);
}
