import { PERMISSIONS, roleHas } from './permissions.catalogue.js';

describe('role permissions', () => {
  it('gives partner admins everything', () => {
    for (const permission of Object.keys(PERMISSIONS)) expect(roleHas('partner-admin', permission as keyof typeof PERMISSIONS)).toBe(true);
  });

  it('lets viewers only read', () => {
    const granted = Object.keys(PERMISSIONS).filter((permission) => roleHas('viewer', permission as keyof typeof PERMISSIONS));
    expect(granted.sort()).toEqual([
      'account.manage-own',
      'dashboard.view',
      'environment.view',
      'groups.view',
      'participants.view',
      'sync.view',
    ]);
  });

  it('lets group admins edit groups but not create, archive, manage admins or read the audit log', () => {
    expect(roleHas('group-admin', 'groups.edit')).toBe(true);
    for (const permission of ['groups.create', 'groups.archive', 'admins.manage', 'audit.view'] as const) {
      expect(roleHas('group-admin', permission)).toBe(false);
    }
  });
});
