import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';

/**
 * Reads the first `size` bytes of a stream (fewer at its end) without losing
 * them: the returned stream yields the head again, then the rest. Destroying
 * the returned stream destroys the input.
 */
export async function peek(input: Readable, size: number): Promise<{ head: Buffer; stream: Readable; ended: boolean }> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    chunks.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      if (ended) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      }
    } finally {
      // Ends (and destroys) the input when the consumer stops early.
      await iterator.return?.();
    }
  }
  return { head, stream: Readable.from(replay(), { objectMode: false }), ended };
}

/** Counts the bytes that pass through: the `bytes` of a batch. */
export class ByteCounter extends Transform {
  total = 0;
  private reported = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.total += chunk.length;
    callback(null, chunk);
  }

  /** Bytes counted since the last call. */
  takeDelta(): number {
    const delta = this.total - this.reported;
    this.reported = this.total;
    return delta;
  }
}

/** Several ByteCounters (one per file or object) reported as one running total. */
export class ByteTally {
  private counters: ByteCounter[] = [];
  private closed = 0;

  counter(): ByteCounter {
    const counter = new ByteCounter();
    this.counters.push(counter);
    return counter;
  }

  takeDelta(): number {
    let delta = this.closed;
    this.closed = 0;
    for (const counter of this.counters) delta += counter.takeDelta();
    return delta;
  }

  /** Forgets counters of finished files, keeping what they have not yet reported. */
  release(counter: ByteCounter): void {
    this.closed += counter.takeDelta();
    this.counters = this.counters.filter((c) => c !== counter);
  }
}

/**
 * Records where line feeds fall in a byte stream, so that a parser reporting
 * byte offsets can be asked for line numbers. Only offsets not yet asked about
 * are kept (bounded by the bytes buffered between this stream and the parser).
 */
export class LineIndex extends Transform {
  private offsets: number[] = [];
  private head = 0;
  private position = 0;
  private counted = 0;
  private lastCounted = -1;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let at = chunk.indexOf(10);
    while (at !== -1) {
      this.offsets.push(this.position + at);
      at = chunk.indexOf(10, at + 1);
    }
    this.position += chunk.length;
    callback(null, chunk);
  }

  /**
   * The line (1-based) holding the last character before `end`, where `end` is a
   * byte offset reached by the consumer, never smaller than an earlier one.
   */
  lineBefore(end: number): number {
    while (this.head < this.offsets.length && this.offsets[this.head] < end) {
      this.lastCounted = this.offsets[this.head]!;
      this.head += 1;
      this.counted += 1;
    }
    if (this.head > 4096 && this.head * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.head = 0;
    }
    // A record ending in its own line feed sits on the line that feed closes.
    return this.lastCounted === end - 1 ? this.counted : this.counted + 1;
  }
}

/** Waits until a writable wants more, or fails if it errors or closes first. */
export async function drained(stream: Writable): Promise<void> {
  if (!stream.writableNeedDrain) return;
  await once(stream, 'drain');
}

/** Writes a chunk, honouring backpressure. */
export async function writeChunk(stream: Writable, chunk: string | Buffer): Promise<void> {
  if (!stream.write(chunk)) await drained(stream);
}

/** A private temporary directory, removed by `dispose`. */
export async function makeTempDir(prefix: string): Promise<{ path: string; dispose: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `aoe-${prefix}-`));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}

/** Streams `input` to a new file `name` in a temporary directory (Parquet needs random access). */
export async function spoolToTempFile(
  input: Readable,
  name: string,
): Promise<{ path: string; dispose: () => Promise<void> }> {
  const dir = await makeTempDir('spool');
  const path = join(dir.path, name);
  try {
    await pipeline(input, createWriteStream(path));
  } catch (error) {
    await dir.dispose();
    throw error;
  }
  return { path, dispose: dir.dispose };
}
