import type { Row } from '@aoe/connectors';
import type { HeadFacts } from './head-inspection';

/** The bytes a row takes as a line of its file: CSV cells with delimiters and a line end, or a JSON line. */
export function rowTextBytes(
  facts: Pick<HeadFacts, 'format' | 'delimiter' | 'encoding'>,
): ((row: Row) => number) | undefined {
  const encoding = facts.encoding === 'utf-16le' ? 'utf16le' : facts.encoding === 'latin1' ? 'latin1' : 'utf8';
  const delimiter = Buffer.byteLength(facts.delimiter ?? ',', encoding);
  const newline = Buffer.byteLength('\n', encoding);
  switch (facts.format) {
    case 'csv':
      return (row) => {
        let bytes = newline;
        let cells = 0;
        for (const value of Object.values(row)) {
          cells += 1;
          if (typeof value === 'string') bytes += Buffer.byteLength(value, encoding);
        }
        return bytes + Math.max(0, cells - 1) * delimiter;
      };
    case 'jsonl':
      return (row) => Buffer.byteLength(JSON.stringify(row)) + 1;
    case 'parquet':
      return undefined;
  }
}

/**
 * The uncompressed bytes of objects whose compressed sizes sum to `size`,
 * from the ratio the head showed (decoded bytes ÷ compressed bytes read).
 */
export function uncompressedSize(size: number, facts: Pick<HeadFacts, 'compression'> & { ratio?: number }): number {
  return facts.compression === 'gzip' && facts.ratio ? Math.round(size * facts.ratio) : size;
}

/**
 * Bytes per line at the end of a file, from its last bytes: the first (cut)
 * line is skipped and the rest counted. Undefined when fewer than two whole
 * lines are there. Rows at the end of a file are often longer than the first
 * ones (growing ids, longer texts), so the estimate averages both ends.
 */
export function tailBytesPerLine(tail: Buffer): number | undefined {
  const first = tail.indexOf(10);
  if (first === -1) return undefined;
  let lines = 0;
  for (let at = tail.indexOf(10, first + 1); at !== -1; at = tail.indexOf(10, at + 1)) lines += 1;
  const end = tail.lastIndexOf(10);
  return lines >= 2 ? (end - first) / lines : undefined;
}
