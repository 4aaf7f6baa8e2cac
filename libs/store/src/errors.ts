/**
 * Errors the store throws on purpose. Each has a stable `code` so callers (and the
 * retry table of the messaging layer) can tell them apart without parsing messages.
 */
export abstract class StoreError extends Error {
  abstract readonly code: string;
}

/** A schema name that is not a plain lower-case SQL identifier; refused before it reaches SQL. */
export class InvalidSchemaNameError extends StoreError {
  override readonly name = 'InvalidSchemaNameError';
  readonly code = 'STORE_INVALID_SCHEMA_NAME';
  constructor(readonly schema: string) {
    super(
      `invalid store schema name ${JSON.stringify(schema)}: use 1-63 characters of a-z, 0-9 and _, starting with a letter or _ (not pg_)`,
    );
  }
}

export class UnsupportedStoreUrlError extends StoreError {
  override readonly name = 'UnsupportedStoreUrlError';
  readonly code = 'STORE_UNSUPPORTED_URL';
  constructor(url: string) {
    super(`unsupported store URL "${redactStoreUrl(url)}": use postgres://..., pglite://<dir> or pglite://memory`);
  }
}

/** A stored row that no longer matches its contract (hand-edited, or written by a newer version). */
export class CorruptRowError extends StoreError {
  override readonly name = 'CorruptRowError';
  readonly code = 'STORE_CORRUPT_ROW';
  constructor(
    readonly table: string,
    readonly key: string,
    readonly problems: readonly string[],
  ) {
    super(`${table} row ${key} does not match its contract: ${problems.join('; ')}`);
  }
}

export class InvalidCursorError extends StoreError {
  override readonly name = 'InvalidCursorError';
  readonly code = 'STORE_INVALID_CURSOR';
  constructor() {
    super('invalid page cursor: pass back the nextCursor of a previous page of the same list');
  }
}

export class NotFoundError extends StoreError {
  override readonly name = 'NotFoundError';
  readonly code = 'STORE_NOT_FOUND';
  constructor(
    readonly entity: string,
    readonly key: string,
  ) {
    super(`${entity} ${key} not found`);
  }
}

/** A write that collides with an existing row (a unique key) or names a missing one (a foreign key). */
export class ConflictError extends StoreError {
  override readonly name = 'ConflictError';
  readonly code = 'STORE_CONFLICT';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** The URL with its password, if any, replaced by `***`: fit for messages and logs. */
export function redactStoreUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
