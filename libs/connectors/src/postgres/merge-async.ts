/**
 * Interleaves several async iterables as their items arrive. Each source has
 * at most one item in flight, so a slow consumer slows every source down
 * (backpressure) instead of buffering. When the consumer stops or a source
 * fails, the other sources are closed.
 */
export async function* mergeAsync<T>(sources: ReadonlyArray<AsyncIterable<T>>): AsyncGenerator<T> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number) => {
    const next = iterators[index].next().then((result) => ({ index, result }));
    // Settled later by race or by the cleanup below; never an unhandled rejection.
    next.catch(() => undefined);
    pending.set(index, next);
  };
  iterators.forEach((_, index) => pull(index));
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(index);
        continue;
      }
      pull(index);
      yield result.value;
    }
  } finally {
    const open = [...pending.keys()];
    pending.clear();
    await Promise.allSettled(
      open.map(async (index) => {
        await iterators[index].return?.();
      }),
    );
  }
}
