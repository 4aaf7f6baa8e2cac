export {
  PostgresSource,
  splitKeyRange,
  type PostgresSourceConfig,
  type PostgresSourceOptions,
} from './postgres.source';
export { PostgresSink, type PostgresSinkOptions, type PostgresSinkTarget } from './postgres.sink';
export type { PostgresWriteResult } from './load-plan';
export { readTargetCheckpoint } from './read-target-checkpoint';
export {
  advanceCursor,
  alreadyLoaded,
  compareCursorValues,
  incrementalKeyColumns,
  normalizeCursorValue,
  rowKey,
  type CursorValue,
} from './cursor-state';
export {
  injectFault,
  InjectedFault,
  type FaultContext,
  type FaultHook,
  type FaultPoint,
  type FaultSpec,
} from './faults';
export {
  PgClientFactory,
  clientConfigFor,
  pgPoolFactory,
  type PgConnectionFactory,
  type PgQueryResult,
  type PgSession,
  type PgSessionOptions,
} from './pg-connection';
export { classifyPgError, toConnectorError } from './pg-errors';
export { assertIdentifierFits, qualifiedName, quoteIdent, stagingTableName } from './pg-identifiers';
export { logicalTypeOf, pgTypeFor, targetAccepts } from './pg-types';
export {
  CopyStagingWriter,
  InsertStagingWriter,
  encodeCopyRows,
  openCopyStream,
  type CopyDataStream,
  type StagingColumn,
  type StagingStream,
  type StagingWriter,
} from './staging-writer';
export { escapeCopyText, fieldDecoder, fieldEncoder, parseTimestamp } from './copy-text';
export { CHECKPOINTS_TABLE, LOADS_TABLE } from './load-ledger';
export { sqlCastFor, type SqlCast } from './sql-casts';
