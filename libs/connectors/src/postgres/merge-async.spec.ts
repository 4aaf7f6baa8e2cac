import { mergeAsync } from './merge-async';

async function* source(name: string, count: number, delay: number, failAt?: number) {
  try {
    for (let i = 0; i < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (i === failAt) throw new Error(`${name} failed`);
      yield `${name}${i}`;
    }
  } finally {
    closed.push(name);
  }
}
let closed: string[] = [];

describe('mergeAsync', () => {
  beforeEach(() => {
    closed = [];
  });

  it('yields every item of every source once', async () => {
    const out: string[] = [];
    for await (const item of mergeAsync([source('a', 3, 1), source('b', 5, 0), source('c', 0, 0)])) out.push(item);
    expect(out.sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2', 'b3', 'b4']);
  });

  it('closes the other sources when the consumer stops or a source fails', async () => {
    for await (const item of mergeAsync([source('a', 100, 1), source('b', 100, 1)])) {
      if (item) break;
    }
    expect(closed.sort()).toEqual(['a', 'b']);
    closed = [];
    const failing = async () => {
      for await (const _ of mergeAsync([source('a', 100, 1), source('b', 5, 1, 2)])) void _;
    };
    await expect(failing()).rejects.toThrow('b failed');
    expect(closed.sort()).toEqual(['a', 'b']);
  });
});
