import { createRequire } from 'node:module';

// rison-node ships no types; this is the part of its API used here.
interface RisonParser {
  parse(text: string): unknown;
  error(message: string): undefined;
}
const rison = createRequire(import.meta.url)('rison-node') as {
  parser: new () => RisonParser;
  encode(value: unknown): string;
};

/** The only keys the DSP document allows in `custom_params` (section 3, note 4). */
export const CUSTOM_PARAM_KEYS = ['display_back', 'back_url', 'back_url_params'] as const;
/** The longest `custom_params` a consent link may carry. */
export const MAX_CUSTOM_PARAMS_LENGTH = 4000;
/** The longest `custom_params` the admin portal's consent-link panel takes (its links stay short for QR codes). */
export const MAX_CUSTOM_PARAMS_FORM_LENGTH = 2000;

export interface CustomParams {
  display_back?: 0 | 1;
  back_url?: string;
  /** O-Rison name/value pairs, `param1:a,param2:b`. */
  back_url_params?: string;
}

/** What is wrong with a `custom_params`; each reader names it in its own words (portal field error, consent error page). */
export type CustomParamsProblem =
  'too_long' | 'syntax' | 'unknown_keys' | 'display_back' | 'back_url' | 'back_url_required' | 'back_url_params';

export type CustomParamsReading =
  | {
      ok: true;
      value: CustomParams;
      /**
       * With `display_back:1`, where the sign-in page's back icon leads: `back_url` with `back_url_params` added, or
       * `''` when `back_url` is empty (the DSP document's own example): the header is shown without a back icon.
       * Null without `display_back:1` (no header).
       */
      backUrl: string | null;
    }
  | { ok: false; problem: CustomParamsProblem; /** The refused keys, for `unknown_keys`. */ keys?: string[] };

/**
 * Decodes O-Rison (`a:1,b:'x'`, an object without its parentheses, as the DSP document writes it) or a full
 * Rison object (`(a:1,b:'x')`), or null when it is neither. rison-node's parser logs and carries on after an
 * error; here the first error stops it, silently.
 */
export function decodeRisonObject(text: string): Record<string, unknown> | null {
  const parser = new rison.parser();
  parser.error = (message: string) => {
    throw new Error(message);
  };
  let value: unknown;
  try {
    value = parser.parse(text.startsWith('(') ? text : `(${text})`);
  } catch {
    // Its own errors, and the TypeErrors some malformed inputs (`a:b,`) provoke inside it.
    return null;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
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
 * Reads a consent link's `custom_params` as the DSP document defines them: Rison with only `display_back`
 * (1 shows the sign-in page's back header, 0 or absent does not; `'1'`/`'0'` as the document quotes them),
 * `back_url` (an absolute http(s) URL, required with `display_back:1`) and `back_url_params` (`param1:a,param2:b`,
 * or a Rison object, of plain values). Every key given is checked, whatever display_back says. The one reader
 * of both the admin portal (which builds links) and `/consent/start` (which opens them).
 */
export function readCustomParams(raw: string): CustomParamsReading {
  if (raw.length > MAX_CUSTOM_PARAMS_LENGTH) return { ok: false, problem: 'too_long' };
  const decoded = decodeRisonObject(raw);
  if (!decoded) return { ok: false, problem: 'syntax' };
  // `__proto__:(…)` replaces the object's prototype instead of adding a key: refused like any other key.
  if (Object.getPrototypeOf(decoded) !== Object.prototype) return { ok: false, problem: 'unknown_keys', keys: ['__proto__'] };
  const unknown = Object.keys(decoded).filter((key) => !(CUSTOM_PARAM_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) return { ok: false, problem: 'unknown_keys', keys: unknown };

  const value: CustomParams = {};
  if (decoded.display_back !== undefined) {
    const displayBack = decoded.display_back;
    if (displayBack === 1 || displayBack === '1') value.display_back = 1;
    else if (displayBack === 0 || displayBack === '0') value.display_back = 0;
    else return { ok: false, problem: 'display_back' };
  }
  let url: URL | null = null;
  if (decoded.back_url !== undefined) {
    if (typeof decoded.back_url !== 'string') return { ok: false, problem: 'back_url' };
    if (decoded.back_url !== '') {
      url = httpUrlOrNull(decoded.back_url);
      if (!url) return { ok: false, problem: 'back_url' };
    }
    value.back_url = decoded.back_url;
  }
  let queryParams: Record<string, unknown> = {};
  if (decoded.back_url_params !== undefined) {
    const given = decoded.back_url_params;
    const params = typeof given === 'string' ? (given === '' ? {} : decodeRisonObject(given)) : given;
    if (!isFlatRecord(params)) return { ok: false, problem: 'back_url_params' };
    queryParams = params;
    // A Rison object is kept as the document writes these, O-Rison text.
    value.back_url_params = typeof given === 'string' ? given : rison.encode(params).slice(1, -1);
  }
  if (value.display_back !== 1) return { ok: true, value, backUrl: null };
  // The document's literal example, `display_back:1,back_url:''`: a header with nowhere known to go back to.
  if (!url) return value.back_url === '' ? { ok: true, value, backUrl: '' } : { ok: false, problem: 'back_url_required' };
  for (const [name, item] of Object.entries(queryParams)) url.searchParams.append(name, String(item));
  return { ok: true, value, backUrl: url.toString() };
}

/** The admin portal's result: canonical text for the link, or a field error's message key and its parameters. */
export type CustomParamsResult =
  { ok: true; value: CustomParams; text: string } | { ok: false; message: string; params?: Record<string, string> };

const FORM_MESSAGES: Record<CustomParamsProblem, string> = {
  too_long: 'form.too_long',
  syntax: 'consent_link.custom_params_syntax',
  unknown_keys: 'consent_link.custom_params_unknown_key',
  display_back: 'consent_link.display_back_invalid',
  back_url: 'consent_link.back_url_invalid',
  back_url_required: 'consent_link.back_url_required',
  back_url_params: 'consent_link.back_url_params_invalid',
};

/**
 * The admin portal's consent-link panel: reads the typed `custom_params` with readCustomParams and returns
 * the canonical text (keys in the document's order) or the first problem as a message key.
 */
export function parseCustomParams(input: string): CustomParamsResult {
  const text = input.trim();
  if (text.length > MAX_CUSTOM_PARAMS_FORM_LENGTH) return { ok: false, message: FORM_MESSAGES.too_long };
  const reading = readCustomParams(text);
  if (!reading.ok) {
    const [key] = reading.keys ?? [];
    return { ok: false, message: FORM_MESSAGES[reading.problem], ...(key !== undefined ? { params: { key } } : {}) };
  }
  return { ok: true, value: reading.value, text: encodeCustomParams(reading.value) };
}

/** `display_back:1,back_url:'…',back_url_params:'…'`, in the document's order, values Rison-encoded. */
export function encodeCustomParams(value: CustomParams): string {
  return CUSTOM_PARAM_KEYS.filter((key) => value[key] !== undefined)
    .map((key) => `${key}:${rison.encode(value[key])}`)
    .join(',');
}

/** A plain object whose values are strings, numbers or booleans: query parameters. */
function isFlatRecord(value: unknown): value is Record<string, string | number | boolean> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.values(value).every((item) => ['string', 'number', 'boolean'].includes(typeof item))
  );
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why a `back_url` may not be used for a group: not https, or an origin the group has not allowed. */
export type BackUrlProblem = 'back_url_https' | 'back_url_origin';

/**
 * `back_url` becomes a link on our own sign-in page, so it may not lead anywhere: https (plain http only to a
 * loopback host while developing or testing), and its origin must be that of one of the group's redirect URLs
 * (the platform's result page when none is registered) or one of the group's back-link origins. The one rule for
 * `/consent/start` and the admin portal's consent-link builder.
 */
export function backUrlProblem(backUrl: string, redirectUrls: string[], backLinkOrigins: string[], nodeEnv: string): BackUrlProblem | null {
  const url = httpUrlOrNull(backUrl);
  if (!url) return 'back_url_https';
  const local = nodeEnv === 'development' || nodeEnv === 'test';
  if (url.protocol !== 'https:' && !(local && url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return 'back_url_https';
  }
  const origins = new Set([
    ...redirectUrls.map((redirect) => originOf(redirect)),
    ...backLinkOrigins.map((origin) => origin.toLowerCase()),
  ]);
  return origins.has(url.origin.toLowerCase()) ? null : 'back_url_origin';
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin.toLowerCase();
  } catch {
    return null;
  }
}
