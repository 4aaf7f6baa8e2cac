import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Nest turns a handler's error into `{ status: 'error', message: 'Internal
 * server error' }`. The bus needs the error itself: its type decides between
 * retry and dead letter, and its message is the dead letter's reason.
 */
@Catch()
export class RethrowRpcErrorsFilter implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
