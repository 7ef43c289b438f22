/** The scopes of the spec's authorization URL, plus `ecg`, a sandbox extension. */
export const SANDBOX_SCOPES = ['bloodpressure', 'activity', 'weight', 'temperature', 'oxygen', 'ecg', 'openid', 'offline_access'] as const;
export type SandboxScope = (typeof SANDBOX_SCOPES)[number];

export function isSandboxScope(value: string): value is SandboxScope {
  return (SANDBOX_SCOPES as readonly string[]).includes(value);
}

/** Splits a space-delimited scope parameter (a `+` already decoded to a space), dropping duplicates. */
export function parseScopeParam(value: string | undefined): string[] {
  return [...new Set((value ?? '').split(/\s+/).filter(Boolean))];
}
