import type { Row } from '@aoe/connectors';
import type { HeadFacts } from './head-inspection';

/** The bytes a row takes as a line of its file: CSV cells with delimiters and a line end, or a JSON line. */
export function rowTextBytes(facts: Pick<HeadFacts, 'format' | 'delimiter' | 'encoding'>): ((row: Row) => number) | undefined {
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
