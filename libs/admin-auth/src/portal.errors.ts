import { ForbiddenException, HttpException, HttpStatus } from '@nestjs/common';

/** Raised when a page needs a signed-in admin; the portal's error filter answers with a redirect to sign-in. */
export class SignInRequiredException extends HttpException {
  constructor() {
    super('sign-in required', HttpStatus.UNAUTHORIZED);
  }
}

/** A state-changing request without a valid CSRF token. */
export class CsrfRejectedException extends ForbiddenException {
  constructor() {
    super('csrf');
  }
}
