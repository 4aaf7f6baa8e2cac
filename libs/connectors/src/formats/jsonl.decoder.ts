import type { Readable } from 'node:stream';
import type { Row } from '../connector';
import { ConnectorError } from '../connector-error';
import { DECODE_CHUNK, truncateRaw, type DecodedRecord } from './decoded-record';
import { toConnectorError } from './stream-errors';

/** A line longer than this fails the file instead of filling memory. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Decodes JSON Lines: one JSON object per line (UTF-8, LF or CRLF, a BOM
 * dropped, blank lines skipped). A line that is not valid JSON, or not an
 * object, is rejected with its line number; nested objects and arrays are kept
 * as values. Positions are `<name>:<line>`.
 */
export async function* decodeJsonl(input: Readable, name: string): AsyncGenerator<DecodedRecord[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNumber = 0;
  let out: DecodedRecord[] = [];

  const take = (line: Buffer): void => {
    lineNumber += 1;
    let text = line.toString('utf8');
    if (lineNumber === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return;
    const position = `${name}:${lineNumber}`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      out.push({ rejected: { position, reason: `invalid JSON: ${(error as Error).message}`, raw: truncateRaw(text) } });
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      out.push({ rejected: { position, reason: 'a line must hold a JSON object', raw: truncateRaw(text) } });
      return;
    }
    out.push({ row: value as Row, position });
  };

  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let start = 0;
      let at = chunk.indexOf(10);
      while (at !== -1) {
        const piece = chunk.subarray(start, at);
        if (pending.length > 0) {
          pending.push(piece);
          take(Buffer.concat(pending));
          pending = [];
          pendingBytes = 0;
        } else {
          take(piece);
        }
        start = at + 1;
        at = chunk.indexOf(10, start);
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > MAX_LINE_BYTES) {
          throw new ConnectorError(
            'data-quality',
            `${name}:${lineNumber + 1}: line longer than ${MAX_LINE_BYTES} bytes`,
          );
        }
      }
      if (out.length >= DECODE_CHUNK) {
        yield out;
        out = [];
      }
    }
    if (pending.length > 0) take(Buffer.concat(pending));
  } catch (error) {
    throw toConnectorError(error, `${name}: cannot read JSON lines`);
  }
  if (out.length > 0) yield out;
}
