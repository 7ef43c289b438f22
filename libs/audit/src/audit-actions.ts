/** Every action the audit log records; the portal's filter offers these. */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.locked_out',
  'auth.logout',
  'auth.totp_failed',
  'auth.setup_completed',
  'auth.password_reset_requested',
  'auth.password_reset',
  'account.password_changed',
  'account.totp_enabled',
  'account.totp_disabled',
  'admin.bootstrapped',
  'admin.invited',
  'admin.setup_link_issued',
  'admin.disabled',
  'admin.enabled',
  'group.created',
  'group.updated',
  'group.archived',
  'group.restored',
  'redirect_url.added',
  'redirect_url.removed',
  'redirect_url.default_set',
  'sync.requested',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
