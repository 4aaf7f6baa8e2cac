import { ConnectorError } from '../connector-error';
import { abortError, backendStateOf } from './stall-watch';

describe('backendStateOf', () => {
  it('tells a working statement from one waiting on the client or gone', () => {
    expect(backendStateOf(undefined)).toBe('gone');
    expect(backendStateOf({ state: 'active', wait_event: null })).toBe('working');
    expect(backendStateOf({ state: 'active', wait_event: 'PgSleep' })).toBe('working');
    expect(backendStateOf({ state: 'active', wait_event: 'DataFileRead' })).toBe('working');
    expect(backendStateOf({ state: 'active', wait_event: 'ClientWrite' })).toBe('waiting-on-client');
    expect(backendStateOf({ state: 'active', wait_event: 'ClientRead' })).toBe('waiting-on-client');
    // Finished, but the answer never reached us.
    expect(backendStateOf({ state: 'idle in transaction', wait_event: 'ClientRead' })).toBe('waiting-on-client');
  });
});

describe('abortError', () => {
  it('turns a deadline into a retryable timeout and keeps any other reason', () => {
    const deadline = new AbortController();
    deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    const error = abortError(deadline.signal);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ errorClass: 'timeout' });

    const cancel = new AbortController();
    const reason = new Error('cancelled by a person');
    cancel.abort(reason);
    expect(abortError(cancel.signal)).toBe(reason);
  });
});
