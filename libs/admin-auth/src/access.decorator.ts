import { applyDecorators, Controller, SetMetadata } from '@nestjs/common';
import type { Permission } from './permissions.catalogue.js';

export const PORTAL_CONTROLLER = 'opendsp:portal-controller';
export const ACCESS = 'opendsp:access';
/** Marks a handler open without sign-in (sign-in, setup and reset pages, language switch). */
export const PUBLIC_ACCESS = 'public';

/**
 * A controller of portal pages. Every handler in it must say who may use it with `@Access(…)` or
 * `@PublicPage()`: the access guard refuses a handler that says neither, so a forgotten decorator fails
 * closed.
 */
export function PortalController(path?: string): ClassDecorator {
  return applyDecorators(Controller(path ?? ''), SetMetadata(PORTAL_CONTROLLER, true));
}

/** Requires a signed-in admin whose role holds `permission`. */
export function Access(permission: Permission): MethodDecorator {
  return SetMetadata(ACCESS, permission);
}

/** Open without sign-in (still behind the IP allowlist and CSRF checks). */
export function PublicPage(): MethodDecorator {
  return SetMetadata(ACCESS, PUBLIC_ACCESS);
}
