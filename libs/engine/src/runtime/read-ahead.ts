/**
 * Pulls up to `depth` items from `source` ahead of the consumer, so reading
 * (a file, a socket) overlaps with a consumer that is waiting on its own I/O
 * (a COPY stream draining). Memory stays bounded: the producer waits when
 * `depth` items are buffered. An error reaches the consumer after the items
 * read before it; stopping early (`return`) stops the source too.
 */
export function readAhead<T>(source: AsyncIterable<T>, depth: number): AsyncIterable<T> {
  if (depth < 1) return source;
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const iterator = source[Symbol.asyncIterator]();
      const buffer: T[] = [];
      let finished = false;
      let stopped = false;
      let failure: { error: unknown } | undefined;
      let wakeConsumer: (() => void) | undefined;
      let wakeProducer: (() => void) | undefined;
      let pump: Promise<void> | undefined;

      const wake = (which: 'consumer' | 'producer'): void => {
        const fn = which === 'consumer' ? wakeConsumer : wakeProducer;
        if (which === 'consumer') wakeConsumer = undefined;
        else wakeProducer = undefined;
        fn?.();
      };

      const run = async (): Promise<void> => {
        try {
          while (!stopped) {
            if (buffer.length >= depth) {
              await new Promise<void>((resolve) => (wakeProducer = resolve));
              continue;
            }
            const next = await iterator.next();
            if (next.done) break;
            buffer.push(next.value);
            wake('consumer');
          }
        } catch (error) {
          failure = { error };
        } finally {
          finished = true;
          wake('consumer');
        }
      };

      return {
        async next(): Promise<IteratorResult<T>> {
          pump ??= run();
          for (;;) {
            if (buffer.length > 0) {
              const value = buffer.shift() as T;
              wake('producer');
              return { value, done: false };
            }
            if (failure) throw failure.error;
            if (finished) return { value: undefined, done: true };
            await new Promise<void>((resolve) => (wakeConsumer = resolve));
          }
        },
        async return(): Promise<IteratorResult<T>> {
          stopped = true;
          wake('producer');
          // Let a read in flight settle, then close the source (files, cursors, sockets).
          if (pump) await pump;
          if (!failure) await iterator.return?.();
          buffer.length = 0;
          return { value: undefined, done: true };
        },
      };
    },
  };
}
