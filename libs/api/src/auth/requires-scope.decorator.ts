import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiOAuth2 } from '@nestjs/swagger';
import type { ApiScope } from '../api-scopes.catalogue.js';

export const REQUIRED_SCOPE = 'opendsp:api-scope';

/** The scope a token must carry for this operation; also documents it in the OpenAPI file. */
export function RequiresScope(scope: ApiScope): MethodDecorator {
  return applyDecorators(SetMetadata(REQUIRED_SCOPE, scope), ApiOAuth2([scope], 'clientCredentials'));
}
