import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { ConflictError, NotFoundError } from '@aoe/store';

/** Store errors a client caused become 409 and 404, with the store's message. */
@Catch(ConflictError, NotFoundError)
export class StoreErrorsFilter implements ExceptionFilter {
  catch(error: ConflictError | NotFoundError, host: ArgumentsHost): void {
    const statusCode = error instanceof ConflictError ? 409 : 404;
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(statusCode)
      .json({ statusCode, error: statusCode === 409 ? 'conflict' : 'not-found', message: error.message });
  }
}
