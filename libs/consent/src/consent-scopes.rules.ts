import type { RegionId } from '@opendsp/config';

/** The data types a participant can share (the Partner API's scopes) in the order the consent screen lists them. */
export const DATA_SCOPES = ['bloodpressure', 'activity', 'weight', 'temperature', 'oxygen'] as const;
export type DataScope = (typeof DATA_SCOPES)[number];

/** The Partner API spec offers temperature and oxygen in Europe only ("Temperature (Europe), Oxygen (Europe)"). */
const EUROPE_ONLY: readonly DataScope[] = ['temperature', 'oxygen'];

/** The data types a consent asks for by default in a region (DSP_REGION): all five in Europe, the other three elsewhere. */
export function regionDataScopes(region: RegionId): DataScope[] {
  return DATA_SCOPES.filter((scope) => region === 'europe' || !EUROPE_ONLY.includes(scope));
}

/**
 * The scope of a consent or reconnect authorisation: the region's data types, narrowed to the group's own choice
 * when it made one, plus the id_token and a refresh token.
 */
export function consentScopes(region: RegionId, groupDataTypes: readonly string[] | null = null): string {
  const offered = regionDataScopes(region);
  const chosen = groupDataTypes === null ? offered : offered.filter((scope) => groupDataTypes.includes(scope));
  return [...chosen, 'openid', 'offline_access'].join(' ');
}

/**
 * The scope of a reconnect: what consent asked for in each group the person has consented to, together. A group with
 * no choice of its own (null) asks for the region's data types, so it widens the union to them. With no consented
 * group at all, the region's data types.
 */
export function reconnectScopes(region: RegionId, consentedGroupsDataTypes: readonly (readonly string[] | null)[]): string {
  if (consentedGroupsDataTypes.length === 0 || consentedGroupsDataTypes.some((types) => types === null)) {
    return consentScopes(region);
  }
  return consentScopes(region, [...new Set(consentedGroupsDataTypes.flatMap((types) => types ?? []))]);
}

/** Signing in to the participant page needs only the person's OMRON user ID. */
export const SIGN_IN_SCOPES = 'openid';

/** The data types among a space-delimited scope list. */
export function dataScopesOf(scopes: string): DataScope[] {
  const asked = new Set(scopes.split(/\s+/));
  return DATA_SCOPES.filter((scope) => asked.has(scope));
}
