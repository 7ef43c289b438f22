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

/** Returns a request URL with the values of secret query parameters replaced by `[Redacted]`. */
export function redactUrl(url: string): string {
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
