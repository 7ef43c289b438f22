import { createRequire } from 'node:module';

// rison-node ships no types; this is the part of its API used here.
interface RisonParser {
  message: string | null;
  parse(text: string): unknown;
  error(message: string): undefined;
}
const rison = createRequire(import.meta.url)('rison-node') as {
  parser: new (onError: (message: string) => void) => RisonParser;
  encode(value: unknown): string;
};

/** The only keys the DSP document allows in `custom_params` (section 3, note 4). */
export const CUSTOM_PARAM_KEYS = ['display_back', 'back_url', 'back_url_params'] as const;
export const MAX_CUSTOM_PARAMS_LENGTH = 2000;

export interface CustomParams {
  display_back?: 0 | 1;
  back_url?: string;
  back_url_params?: string;
}

export type CustomParamsResult =
  { ok: true; value: CustomParams; text: string } | { ok: false; message: string; params?: Record<string, string> };

/**
 * Decodes O-Rison (`a:1,b:'x'`, the form the DSP document shows) into an object, or null when it is not
 * O-Rison. The library's parser logs its errors to the console; this one keeps them to itself.
 */
export function decodeRisonObject(text: string): Record<string, unknown> | null {
  let failed = false;
  const parser = new rison.parser(() => {
    failed = true;
  });
  parser.error = function (this: RisonParser, message: string) {
    this.message = message;
    return undefined;
  };
  const value = parser.parse(`(${text})`);
  return failed || value === null || typeof value !== 'object' || Array.isArray(value) ? null : (value as Record<string, unknown>);
}

/**
 * Checks a consent link's `custom_params` as the DSP document defines them: O-Rison with only
 * `display_back` (1 shows the back header, 0 does not), `back_url` (an absolute http(s) URL, required with
 * `display_back:1`) and `back_url_params` (`param1:a,param2:b`). Returns the canonical text (keys in the
 * document's order) or the first problem as a message key.
 */
export function parseCustomParams(input: string): CustomParamsResult {
  const text = input.trim();
  if (text.length > MAX_CUSTOM_PARAMS_LENGTH) return { ok: false, message: 'form.too_long' };
  const decoded = decodeRisonObject(text);
  if (!decoded) return { ok: false, message: 'consent_link.custom_params_syntax' };
  // `__proto__:(…)` replaces the object's prototype instead of adding a key: refused like any other key.
  if (Object.getPrototypeOf(decoded) !== Object.prototype) {
    return { ok: false, message: 'consent_link.custom_params_unknown_key', params: { key: '__proto__' } };
  }
  const unknown = Object.keys(decoded).find((key) => !(CUSTOM_PARAM_KEYS as readonly string[]).includes(key));
  if (unknown !== undefined) return { ok: false, message: 'consent_link.custom_params_unknown_key', params: { key: unknown } };

  const value: CustomParams = {};
  if ('display_back' in decoded) {
    if (decoded.display_back !== 0 && decoded.display_back !== 1) return { ok: false, message: 'consent_link.display_back_invalid' };
    value.display_back = decoded.display_back;
  }
  if ('back_url' in decoded) {
    if (typeof decoded.back_url !== 'string' || (decoded.back_url !== '' && !isHttpUrl(decoded.back_url))) {
      return { ok: false, message: 'consent_link.back_url_invalid' };
    }
    value.back_url = decoded.back_url;
  }
  if ('back_url_params' in decoded) {
    const params = decoded.back_url_params;
    if (typeof params !== 'string' || (params !== '' && !isFlatRisonObject(params))) {
      return { ok: false, message: 'consent_link.back_url_params_invalid' };
    }
    value.back_url_params = params;
  }
  if (value.display_back === 1 && !value.back_url) return { ok: false, message: 'consent_link.back_url_required' };
  return { ok: true, value, text: encodeCustomParams(value) };
}

/** `display_back:1,back_url:'…',back_url_params:'…'`, in the document's order, values Rison-encoded. */
export function encodeCustomParams(value: CustomParams): string {
  return CUSTOM_PARAM_KEYS.filter((key) => value[key] !== undefined)
    .map((key) => `${key}:${rison.encode(value[key])}`)
    .join(',');
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && Boolean(url.hostname) && !url.username && !url.password;
  } catch {
    return false;
  }
}

/** `param1:a,param2:b`: O-Rison whose values are plain strings, numbers or booleans (query parameters). */
function isFlatRisonObject(text: string): boolean {
  const decoded = decodeRisonObject(text);
  return decoded !== null && Object.values(decoded).every((item) => ['string', 'number', 'boolean'].includes(typeof item));
}
