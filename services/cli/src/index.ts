export { runCli } from './cli';
export { processIo, type CliIo } from './io';
export { ExitCode, CliError } from './errors';
export { parseSourceUri, parseTargetUri, tableNameFor, UriError } from './uri';
export type { IngestResult } from './commands/ingest.command';
