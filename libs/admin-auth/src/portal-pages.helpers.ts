import type { Response } from 'express';

/** Renders a portal page with a status (422 for a form with field errors, 401 for a failed sign-in, …). */
export function renderPage(res: Response, view: string, data: Record<string, unknown>, status = 200): void {
  res.status(status).render(view, data);
}

/** Post-redirect-get: 303 so the browser follows with GET. */
export function redirectTo(res: Response, path: string): void {
  res.redirect(303, path);
}

/** A local path to return to after sign-in or a language switch; anything else (other hosts, `//x`) becomes `/`. */
export function safeLocalPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) && value.length <= 2000 ? value : '/';
}

/** Notices a redirect may ask the next page to show (`?notice=saved`); only these keys are shown. */
export const NOTICES = [
  'saved',
  'password_set',
  'reset_sent',
  'signed_out',
  'totp_enabled',
  'totp_disabled',
  'totp_reset',
  'invited',
  'link_sent',
  'group_created',
  'group_archived',
  'group_restored',
  'url_added',
  'url_removed',
  'url_default',
  'destination_created',
  'destination_deleted',
  'delivery_requested',
  'endpoint_enabled',
  'endpoint_disabled',
  'endpoint_deleted',
  'delivery_replayed',
] as const;

/** The message key of a `?notice=` value, or undefined. */
export function noticeKey(value: unknown): string | undefined {
  return typeof value === 'string' && (NOTICES as readonly string[]).includes(value) ? `notice.${value}` : undefined;
}
