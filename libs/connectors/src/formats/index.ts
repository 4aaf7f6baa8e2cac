export { BatchBuilder, type DecodedRecord } from './decoded-record';
export { decodeCsv, sniffDelimiter, headerNames, type CsvDecodeOptions, type CsvEncoding } from './csv.decoder';
export { decodeJsonl } from './jsonl.decoder';
export { decodeParquetFile, parquetColumns, SCHEMA_METADATA_KEY } from './parquet.decoder';
export { parquetjs } from './parquetjs';
export {
  decodeObject,
  formatFromName,
  formatFromContent,
  type RecordFormat,
  type FormatOption,
  type CompressionOption,
  type ObjectReadSpec,
  type SourceObject,
} from './record-stream';
export { createEncoder, toCsvCell, toParquetValue, type RecordEncoder, type EncoderOptions } from './record-encoder';
export { ObjectCursor, OBJECT_CURSOR_COLUMN, type ListedObject } from './object-cursor';
export { partName, parsePartName, safeRunId } from './part-files';
export { classifyString, inferLogicalType, inferValueType, inferColumns, type InferredType } from './type-inference';
export { classifyStreamError } from './stream-errors';
export { openCsvPassThrough, csvSpecPassesThrough } from './csv-pass-through';
