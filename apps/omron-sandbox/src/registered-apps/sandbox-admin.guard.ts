import { timingSafeEqual, createHash } from 'node:crypto';
import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { SandboxConfig } from '@opendsp/config';

/**
 * Guards the sandbox's admin JSON API with `Authorization: Bearer <SANDBOX_ADMIN_TOKEN>` when that
 * variable is set. Without it the API is open: the sandbox is a local emulator listening on loopback.
 */
@Injectable()
export class SandboxAdminGuard implements CanActivate {
  constructor(private readonly config: SandboxConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.adminToken;
    if (!expected) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const presented = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
    // Compared as digests so the comparison takes the same time whatever the length.
    const digest = (value: string) => createHash('sha256').update(value).digest();
    if (!timingSafeEqual(digest(presented), digest(expected))) throw new UnauthorizedException('A valid admin token is required');
    return true;
  }
}
