import type { CopyDataStream } from './staging-writer';
import { copyStreamsFrom, CopyFanOut, primaryKeyName } from './typed-copy';

/** A COPY stream that keeps what it is sent; `slow` holds each write until `release()`. */
class RecordingStream implements CopyDataStream {
  readonly received: Buffer[] = [];
  private held: Array<() => void> = [];
  constructor(
    private readonly slow = false,
    private readonly failure?: Error,
  ) {}
  get text(): string {
    return Buffer.concat(this.received).toString();
  }
  async writeBytes(chunk: Buffer): Promise<number> {
    if (this.failure) throw this.failure;
    this.received.push(Buffer.from(chunk));
    if (this.slow) await new Promise<void>((resolve) => this.held.push(resolve));
    return chunk.length;
  }
  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }
  async write(): Promise<number> {
    return 0;
  }
  async finish(): Promise<void> {}
  async abort(): Promise<void> {}
  readonly serverRowCount = undefined;
}

/** Feeds `text` in chunks of `size` bytes, as the field checker would report each chunk's last record end. */
async function feed(fanOut: CopyFanOut, text: string, size: number): Promise<void> {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) {
    const chunk = bytes.subarray(at, at + size);
    const lastLf = chunk.lastIndexOf(0x0a);
    await fanOut.push(chunk, lastLf === -1 ? -1 : lastLf + 1);
  }
  await fanOut.end();
}

const csv = (rows: number) =>
  `id,note\n${Array.from({ length: rows }, (_, i) => `${i + 1},note ${i + 1}`).join('\n')}\n`;

describe('CopyFanOut', () => {
  it('hands out whole records only, the header first to stream 0, every byte exactly once', async () => {
    for (const size of [7, 64, 1000, 1 << 20]) {
      const streams = [new RecordingStream(), new RecordingStream(), new RecordingStream()];
      const fanOut = new CopyFanOut(streams);
      const text = csv(500);
      await feed(fanOut, text, size);
      expect(fanOut.bytes).toBe(Buffer.byteLength(text));
      expect(streams[0].text.startsWith('id,note\n')).toBe(true);
      const records = streams.flatMap((s) => s.text.split('\n').filter((line) => line !== ''));
      expect(records.sort()).toEqual(
        text
          .split('\n')
          .filter((line) => line !== '')
          .sort(),
      );
      for (const stream of streams) expect(stream.text === '' || stream.text.endsWith('\n')).toBe(true);
    }
  });

  it('sends a last record without a line end at the end', async () => {
    const stream = new RecordingStream();
    const fanOut = new CopyFanOut([stream]);
    await fanOut.push(Buffer.from('id\n1\n2'), 5);
    expect(stream.text).toBe('id\n1\n');
    await fanOut.end();
    expect(stream.text).toBe('id\n1\n2');
  });

  it('gives the next block to a stream that is not busy', async () => {
    const busy = new RecordingStream(true);
    const free = new RecordingStream();
    const fanOut = new CopyFanOut([busy, free]);
    const block = Buffer.from(`${'x'.repeat(5 << 20)}\n`);
    await fanOut.push(block, block.length);
    await fanOut.push(Buffer.from('a\n'), 2);
    await fanOut.push(Buffer.from('b\n'), 2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(busy.received).toHaveLength(1);
    expect(free.text).toBe('a\nb\n');
    busy.release();
    await fanOut.end();
  });

  it('reports a stream’s failure', async () => {
    const fanOut = new CopyFanOut([new RecordingStream(false, new Error('server went away'))]);
    await fanOut.push(Buffer.from('a\n'), 2);
    await expect(fanOut.end()).rejects.toThrow('server went away');
  });
});

describe('typed COPY settings', () => {
  it('names the key as CREATE TABLE would, cut to 63 bytes', () => {
    expect(primaryKeyName('orders')).toBe('orders_pkey');
    expect(Buffer.byteLength(primaryKeyName('é'.repeat(40)))).toBeLessThanOrEqual(63);
    expect(primaryKeyName('a'.repeat(70))).toBe(`${'a'.repeat(58)}_pkey`);
  });

  it('reads AOE_PG_COPY_STREAMS, 2 by default, and refuses nonsense', () => {
    expect(copyStreamsFrom({})).toBe(2);
    expect(copyStreamsFrom({ AOE_PG_COPY_STREAMS: '4' })).toBe(4);
    expect(() => copyStreamsFrom({ AOE_PG_COPY_STREAMS: '0' })).toThrow(/1 to 8/);
    expect(() => copyStreamsFrom({ AOE_PG_COPY_STREAMS: 'lots' })).toThrow(/AOE_PG_COPY_STREAMS/);
  });
});
