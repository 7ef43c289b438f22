import type { AdminRole } from './admin-account.entity.js';

const ALL: readonly AdminRole[] = ['partner-admin', 'group-admin', 'viewer'];

/**
 * The portal's permissions and the roles that hold them: partner admins may do everything, group admins
 * manage only their own groups (the groups room narrows the rows), viewers only read.
 */
export const PERMISSIONS = {
  'dashboard.view': ALL,
  'account.manage-own': ALL,
  'environment.view': ALL,
  // The OMRON registration sheet shows the notification secret.
  'environment.registration': ['partner-admin'],
  'environment.record-backup': ['partner-admin'],
  'groups.view': ALL,
  'groups.create': ['partner-admin'],
  'groups.edit': ['partner-admin', 'group-admin'],
  'groups.archive': ['partner-admin'],
  'admins.manage': ['partner-admin'],
  'audit.view': ['partner-admin'],
  'api_clients.manage': ['partner-admin'],
  'participants.view': ALL,
  'sync.view': ALL,
  'sync.run': ['partner-admin', 'group-admin'],
  'exports.download': ['partner-admin', 'group-admin'],
  'sftp.manage': ['partner-admin'],
  'webhooks.manage': ['partner-admin'],
} as const satisfies Record<string, readonly AdminRole[]>;

export type Permission = keyof typeof PERMISSIONS;

export function roleHas(role: AdminRole, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly AdminRole[]).includes(role);
}

/** Every permission of a role as `{ 'groups.create': true, … }`, for showing only the links and buttons that work. */
export function permissionsOf(role: AdminRole): Record<Permission, boolean> {
  return Object.fromEntries(Object.keys(PERMISSIONS).map((name) => [name, roleHas(role, name as Permission)])) as Record<
    Permission,
    boolean
  >;
}
