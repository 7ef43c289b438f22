import type { NodeEnv } from '@opendsp/config';

export const MAX_REDIRECT_URL_LENGTH = 2000;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why a redirect destination URL cannot be registered, as a message key, or null when it can: an absolute
 * https URL (http only for localhost in local development), without credentials or a fragment.
 */
export function redirectUrlProblem(value: string, nodeEnv: NodeEnv): string | null {
  if (!value) return 'form.required';
  if (value.length > MAX_REDIRECT_URL_LENGTH) return 'form.too_long';
  if (/\s/.test(value)) return 'redirect_url.invalid';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'redirect_url.invalid';
  }
  if (!url.hostname) return 'redirect_url.invalid';
  if (url.username || url.password) return 'redirect_url.credentials';
  if (url.hash || value.includes('#')) return 'redirect_url.fragment';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && nodeEnv === 'development' && LOCAL_HOSTS.has(url.hostname)) return null;
  return url.protocol === 'http:' ? 'redirect_url.https_required' : 'redirect_url.invalid';
}
