import type { ClassifiedError } from '@aoe/contracts';
import { classifyFailure, type Classification } from './classify-failure';

const unknown = (message: string, code?: string): ClassifiedError => ({
  class: 'unknown',
  message,
  ...(code ? { code } : {}),
  retryable: true,
});

describe('classifyFailure', () => {
  const table: Array<[string, ClassifiedError | undefined, Classification['class'], Classification['basis']]> = [
    [
      'the engine class wins',
      { class: 'rate-limit', message: 'x', code: '429', retryable: true },
      'rate-limit',
      'error-class',
    ],
    ['auth from the connector', { class: 'auth', message: 'no', retryable: false }, 'auth', 'error-class'],
    ['ECONNRESET code', unknown('boom', 'ECONNRESET'), 'transient-network', 'error-code'],
    ['ETIMEDOUT code', unknown('boom', 'ETIMEDOUT'), 'timeout', 'error-code'],
    ['SQLSTATE 28P01', unknown('boom', '28P01'), 'auth', 'error-code'],
    ['SQLSTATE 42703', unknown('boom', '42703'), 'schema-drift', 'error-code'],
    ['SQLSTATE 53200', unknown('boom', '53200'), 'resource-exhaustion', 'error-code'],
    ['ENOSPC code', unknown('boom', 'ENOSPC'), 'resource-exhaustion', 'error-code'],
    ['429 in the text', unknown('task "extract": HTTP 429 Too Many Requests'), 'rate-limit', 'message'],
    ['401 in the text', unknown('request failed: 401 Unauthorized'), 'auth', 'message'],
    ['a password refused', unknown('password authentication failed for user "etl"'), 'auth', 'message'],
    ['a column gone', unknown('column "amount" does not exist'), 'schema-drift', 'message'],
    ['a bad value', unknown('invalid input syntax for type integer: "x1"'), 'data-quality', 'message'],
    ['out of memory', unknown('JavaScript heap out of memory'), 'resource-exhaustion', 'message'],
    ['a timeout', unknown('operation timed out after 30000 ms'), 'timeout', 'message'],
    ['a reset socket', unknown('socket hang up'), 'transient-network', 'message'],
    ['a 503', unknown('upstream answered 503'), 'transient-network', 'message'],
    ['nothing to go on', unknown('something odd happened'), 'unknown', 'none'],
    ['an unknown code', unknown('something odd happened', 'E_WEIRD'), 'unknown', 'none'],
    ['no error at all', undefined, 'unknown', 'none'],
  ];

  it.each(table)('%s', (_name, error, expected, basis) => {
    const result = classifyFailure(error);
    expect(result).toMatchObject({ class: expected, basis });
    expect(result.detail.length).toBeGreaterThan(0);
  });

  it("reads the run's history when the failure itself says nothing", () => {
    const earlier = [
      { taskId: 'extract', attempt: 1, failureClass: 'rate-limit' as const },
      { taskId: 'load', attempt: 2, failureClass: 'timeout' as const },
    ];
    expect(classifyFailure(unknown('odd'), { taskId: 'extract', earlier })).toMatchObject({
      class: 'rate-limit',
      basis: 'history',
    });
    // Another task's history does not count.
    expect(classifyFailure(unknown('odd'), { taskId: 'check', earlier })).toMatchObject({ class: 'unknown' });
    // The pipeline's other recent runs count when this run has nothing to say.
    expect(
      classifyFailure(unknown('odd'), {
        taskId: 'check',
        earlier,
        pipelineRecent: [{ runId: 'run-0', taskId: 'check', attempt: 1, failureClass: 'data-quality' }],
      }),
    ).toMatchObject({ class: 'data-quality', basis: 'history', detail: expect.stringMatching(/run-0/) });
    // What the failure says beats history.
    expect(classifyFailure(unknown('socket hang up'), { taskId: 'load', earlier })).toMatchObject({
      class: 'transient-network',
    });
  });
});
