import rison from 'rison-node';

/** The only keys a consent link's `custom_params` may carry (DSP onboarding document, section 3, note 4). */
export const CUSTOM_PARAM_KEYS = ['display_back', 'back_url', 'back_url_params'] as const;

export type CustomParamsResult =
  | { ok: true; backUrl: string | null }
  | {
      ok: false;
      /** Message key of the problem, for the error page. */
      problem:
        | 'consent_start.custom_params_syntax'
        | 'consent_start.custom_params_keys'
        | 'consent_start.display_back'
        | 'consent_start.back_url'
        | 'consent_start.back_url_params';
      /** The refused keys, for `consent_link.custom_params_keys`. */
      keys?: string[];
    };

const MAX_LENGTH = 4000;

class RisonSyntaxError extends Error {}

/**
 * Parses O-Rison (`a:1,b:'x'`, an object without its parentheses, as the document writes it) or full Rison
 * (`(a:1,b:'x')`). Throws RisonSyntaxError for anything else. rison-node's parser logs and carries on after
 * an error; here the first error stops it.
 */
function decodeRisonObject(value: string): unknown {
  const parser = new rison.parser();
  parser.error = (message: string) => {
    throw new RisonSyntaxError(message);
  };
  try {
    return parser.parse(value.startsWith('(') ? value : `(${value})`);
  } catch (error) {
    throw error instanceof RisonSyntaxError ? error : new RisonSyntaxError(String(error));
  }
}

/** A plain object with only its own, expected keys (Rison's `__proto__:(…)` would otherwise become a prototype). */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** An absolute http(s) URL without credentials, whitespace or backslashes; null otherwise. */
export function httpUrlOrNull(value: string): URL | null {
  if (!/^https?:\/\/[^\s\\]+$/i.test(value) || value.length > 2000) return null;
  try {
    const url = new URL(value);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname || url.username || url.password) return null;
    return url;
  } catch {
    return null;
  }
}

/**
 * Reads a consent link's `custom_params`: with `display_back:1`, the back link of the sign-in page's header,
 * `back_url` with `back_url_params` (`param1:a,param2:b`, or a Rison object) added as its query string.
 * Any key but the three documented ones, a back URL that is not http(s), or parameters that are not flat
 * name/value pairs are refused.
 */
export function parseCustomParams(raw: string | undefined): CustomParamsResult {
  if (raw === undefined || raw === '') return { ok: true, backUrl: null };
  if (raw.length > MAX_LENGTH) return { ok: false, problem: 'consent_start.custom_params_syntax' };
  let parsed: unknown;
  try {
    parsed = decodeRisonObject(raw);
  } catch {
    return { ok: false, problem: 'consent_start.custom_params_syntax' };
  }
  // `__proto__:(…)` does not become a key but the object's prototype: refuse it like any other stray key.
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.getPrototypeOf(parsed) !== Object.prototype) {
    return { ok: false, problem: 'consent_start.custom_params_keys', keys: ['__proto__'] };
  }
  if (!isPlainRecord(parsed)) return { ok: false, problem: 'consent_start.custom_params_syntax' };
  const unknown = Object.keys(parsed).filter((key) => !(CUSTOM_PARAM_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) return { ok: false, problem: 'consent_start.custom_params_keys', keys: unknown };

  const { display_back: displayBack, back_url: backUrl, back_url_params: backUrlParams } = parsed;
  if (displayBack === undefined || displayBack === 0 || displayBack === '0') {
    return { ok: true, backUrl: null };
  }
  if (displayBack !== 1 && displayBack !== '1') return { ok: false, problem: 'consent_start.display_back' };
  const url = typeof backUrl === 'string' ? httpUrlOrNull(backUrl) : null;
  if (!url) return { ok: false, problem: 'consent_start.back_url' };

  let params: unknown = backUrlParams ?? '';
  if (typeof params === 'string') {
    if (params === '') params = {};
    else {
      try {
        params = decodeRisonObject(params);
      } catch {
        return { ok: false, problem: 'consent_start.back_url_params' };
      }
    }
  }
  if (!isPlainRecord(params)) return { ok: false, problem: 'consent_start.back_url_params' };
  for (const [name, value] of Object.entries(params)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) return { ok: false, problem: 'consent_start.back_url_params' };
    url.searchParams.append(name, String(value));
  }
  return { ok: true, backUrl: url.toString() };
}
