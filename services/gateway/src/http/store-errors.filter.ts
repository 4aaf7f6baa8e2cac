import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { ConflictError, InvalidCursorError, NotFoundError } from '@aoe/store';
import { AccessDeniedError } from '../auth/auth.errors';
import { statusOf, UnprocessableError } from './problem';

const ERROR_NAMES: Record<number, string> = {
  400: 'invalid-request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  422: 'unprocessable',
  429: 'rate-limited',
};

/** Typed errors a client caused become JSON problems (401, 403, 429, 409, 404, 400, 422). */
@Catch(ConflictError, NotFoundError, InvalidCursorError, AccessDeniedError, UnprocessableError)
export class StoreErrorsFilter implements ExceptionFilter {
  catch(error: Error, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const statusCode = statusOf(error);
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(statusCode)
      .json({ statusCode, error: ERROR_NAMES[statusCode] ?? 'error', message: error.message });
  }
}
