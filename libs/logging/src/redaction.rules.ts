/** Query parameters whose values must never reach a log line (OAuth codes, state, tokens, passwords). */
const SECRET_QUERY_PARAMS = /^(code|state|token|access_token|refresh_token|id_token|client_secret|password|code_verifier|secret)$/i;

/** Paths pino blanks out in every log record. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.accessToken',
  '*.refreshToken',
  '*.idToken',
  '*.client_secret',
  '*.clientSecret',
  '*.code',
  '*.secret',
];

/**
 * Paths whose last segment is a secret: the admin portal's one-time links (`/setup/:token`,
 * `/password-reset/:token`). A route that carries a secret in its path must be listed here.
 */
const SECRET_PATH_SEGMENTS = /^(\/(?:setup|password-reset))\/[^/?#]+/;

/**
 * Returns a request URL with secret path segments and the values of secret query parameters replaced by
 * `[Redacted]`.
 */
export function redactUrl(url: string): string {
  url = url.replace(SECRET_PATH_SEGMENTS, '$1/[Redacted]');
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  let changed = false;
  for (const key of [...params.keys()]) {
    if (SECRET_QUERY_PARAMS.test(key)) {
      params.set(key, '[Redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, queryStart)}?${params.toString()}` : url;
}
