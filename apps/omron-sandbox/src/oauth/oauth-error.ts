/** The error codes of RFC 6749 §5.2 and §4.1.2.1 the sandbox answers with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_token_type';

/**
 * A refusal of the token or revocation endpoint, mapped to HTTP in one place ({@link OAuthErrorFilter}):
 * `invalid_client` is 401, everything else 400.
 */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    /** The client tried HTTP Basic, so a 401 must carry a matching WWW-Authenticate challenge (RFC 6749 §5.2). */
    readonly basicChallenge = false,
  ) {
    super(`${code}: ${description}`);
  }

  get status(): number {
    return this.code === 'invalid_client' ? 401 : 400;
  }
}
