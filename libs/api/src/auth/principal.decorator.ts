import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { ApiPrincipal, ApiRequest } from './api-principal.types.js';

/** The authenticated API client of the request (set by ApiAuthGuard, which runs before any handler). */
export const Principal = createParamDecorator((_data: unknown, context: ExecutionContext): ApiPrincipal => {
  const principal = context.switchToHttp().getRequest<ApiRequest>().apiClient;
  if (!principal) throw new Error('Principal used on a handler without ApiAuthGuard');
  return principal;
});
