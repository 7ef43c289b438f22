import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import type { INestApplicationContext } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { ACCESS, PORTAL_CONTROLLER, PUBLIC_ACCESS } from './access.decorator.js';
import type { Permission } from './permissions.catalogue.js';

export interface PortalRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Express-style path, e.g. `/groups/:groupId/redirect-urls`. */
  path: string;
  /** The permission it needs, `public`, or undefined when the handler forgot to say (the guard then refuses it). */
  access: Permission | typeof PUBLIC_ACCESS | undefined;
  handler: string;
}

const join = (...parts: string[]): string =>
  `/${parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/')}`;

/**
 * The route table of every portal page, read from the controllers' metadata: what the authorisation
 * matrix test walks, and what documentation can list.
 */
export function portalRoutes(app: INestApplicationContext): PortalRoute[] {
  const routes: PortalRoute[] = [];
  const seen = new Set<unknown>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!type || seen.has(type) || !Reflect.getMetadata(PORTAL_CONTROLLER, type)) continue;
      seen.add(type);
      const base = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
      for (const name of Object.getOwnPropertyNames(type.prototype)) {
        const handler = (type.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (path === undefined || method === undefined) continue;
        for (const one of ([] as string[]).concat(path)) {
          routes.push({
            method: RequestMethod[method] as PortalRoute['method'],
            path: join(base, one),
            access: Reflect.getMetadata(ACCESS, handler) as PortalRoute['access'],
            handler: `${type.name}.${name}`,
          });
        }
      }
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}
