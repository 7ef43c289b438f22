import type { Request } from 'express';
import type { ApiScope } from '../api-scopes.catalogue.js';

/** The API client a request's bearer token belongs to, as every API operation sees it. */
export interface ApiPrincipal {
  /** Internal ID of the client row. */
  id: string;
  /** The public `client_id`. */
  clientId: string;
  name: string;
  /** The scopes of the token (a subset of the client's). */
  scopes: ApiScope[];
  /** True: every group. False: only `groupIds`. */
  allGroups: boolean;
  /** Internal IDs of the groups a restricted client may see. */
  groupIds: string[];
}

export type ApiRequest = Request & { apiClient?: ApiPrincipal };

/** The audit actor of an API request: no admin, the client as the login. */
export function apiActor(principal: ApiPrincipal, ip: string | undefined): { adminId: null; login: string; ip: string | null } {
  return { adminId: null, login: `api-client:${principal.clientId}`, ip: ip ?? null };
}
