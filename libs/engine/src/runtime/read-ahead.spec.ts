import { readAhead } from './read-ahead';

async function* numbers(n: number, log: string[], failAt?: number): AsyncGenerator<number> {
  try {
    for (let i = 1; i <= n; i++) {
      if (i === failAt) throw new Error(`failed at ${i}`);
      log.push(`produce ${i}`);
      await new Promise((r) => setImmediate(r));
      yield i;
    }
  } finally {
    log.push('closed');
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('readAhead', () => {
  it('keeps order and passes everything through', async () => {
    const log: string[] = [];
    expect(await collect(readAhead(numbers(10, log), 3))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(log.at(-1)).toBe('closed');
  });

  it('returns the source itself without a depth', async () => {
    const source = numbers(1, []);
    expect(readAhead(source, 0)).toBe(source);
  });

  it('reads ahead at most `depth` items while the consumer is busy', async () => {
    const log: string[] = [];
    const iterator = readAhead(numbers(10, log), 2)[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ value: 1, done: false });
    await new Promise((r) => setTimeout(r, 20));
    // 1 consumed, 2 and 3 buffered, and the producer waits: nothing beyond 3 is produced.
    expect(log.filter((l) => l.startsWith('produce'))).toEqual(['produce 1', 'produce 2', 'produce 3']);
    await iterator.return?.();
    expect(log.at(-1)).toBe('closed');
  });

  it('delivers the items read before an error, then the error', async () => {
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const n of readAhead(numbers(10, [], 4), 5)) seen.push(n);
      })(),
    ).rejects.toThrow('failed at 4');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('stops the source when the consumer stops early', async () => {
    const log: string[] = [];
    for await (const n of readAhead(numbers(100, log), 2)) {
      if (n === 3) break;
    }
    expect(log.at(-1)).toBe('closed');
    expect(log.filter((l) => l.startsWith('produce')).length).toBeLessThanOrEqual(6);
  });

  it('closes a source that was never read', async () => {
    const log: string[] = [];
    const source = numbers(3, log);
    await source.next();
    const iterator = readAhead(source, 2)[Symbol.asyncIterator]();
    await iterator.return?.();
    expect(log.at(-1)).toBe('closed');
  });
});
