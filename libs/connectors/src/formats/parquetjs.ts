/**
 * parquetjs (and the AWS SDK it brings) loaded on first use: only Parquet
 * sources and targets pay for it, not every process that imports the connectors.
 */
export function parquetjs(): typeof import('@dsnp/parquetjs') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@dsnp/parquetjs') as typeof import('@dsnp/parquetjs');
}
