import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { OAuthError } from './oauth-error.js';

/**
 * The JSON error shape of the token and revocation endpoints: RFC 6749 §5.2 fields plus the
 * `success: false` OMRON's responses carry. Anything unexpected becomes `server_error` without detail.
 */
@Catch()
export class OAuthErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(OAuthErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Pragma', 'no-cache');
    if (exception instanceof OAuthError) {
      if (exception.basicChallenge) response.setHeader('WWW-Authenticate', 'Basic realm="omron-sandbox"');
      response.status(exception.status).json({ success: false, error: exception.code, error_description: exception.description });
      return;
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      // Body-parser refusals (oversized, unreadable) and unknown routes reach here as Nest HTTP exceptions.
      response.status(exception.getStatus()).json({ success: false, error: 'invalid_request', error_description: exception.message });
      return;
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    response.status(500).json({ success: false, error: 'server_error', error_description: 'The sandbox failed to handle the request.' });
  }
}
