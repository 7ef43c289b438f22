/**
 * The data types a participant can share (the Partner API's scopes) in the order the consent screen lists
 * them. Groups have no scope setting yet, so every consent link asks for all of them.
 */
export const DATA_SCOPES = ['bloodpressure', 'activity', 'weight', 'temperature', 'oxygen'] as const;
export type DataScope = (typeof DATA_SCOPES)[number];

/** The scope of a consent or reconnect authorisation: every data type, the id_token, and a refresh token. */
export const CONSENT_SCOPES = [...DATA_SCOPES, 'openid', 'offline_access'].join(' ');

/** Signing in to the participant page needs only the person's OMRON user ID. */
export const SIGN_IN_SCOPES = 'openid';

/** The data types among a space-delimited scope list. */
export function dataScopesOf(scopes: string): DataScope[] {
  const asked = new Set(scopes.split(/\s+/));
  return DATA_SCOPES.filter((scope) => asked.has(scope));
}
