import type { CursorState } from '../connector';
import { toConnectorError } from './pg-errors';
import { readCheckpoint } from './load-ledger';
import { connectionFactoryFor, type PgConnectionFactory } from './pg-connection';
import type { PostgresSinkTarget } from './postgres.sink';

/**
 * The incremental state committed with a PostgreSQL target's data (in
 * `_aoe_checkpoints` of the target's schema, or `ledgerSchema`); undefined
 * before the pipeline's first load of the stream.
 */
export async function readTargetCheckpoint(
  target: PostgresSinkTarget,
  pipelineId: string,
  stream: string,
  options: { connectionFactory?: PgConnectionFactory; ledgerSchema?: string } = {},
): Promise<CursorState | undefined> {
  const factory = connectionFactoryFor(target.connection, options.connectionFactory);
  const session = await factory.connect();
  try {
    return await readCheckpoint(session, options.ledgerSchema ?? target.table.schema ?? 'public', pipelineId, stream);
  } catch (error) {
    throw toConnectorError(error, { location: factory.location, secrets: factory.secrets });
  } finally {
    await session.release();
    if (!options.connectionFactory) await factory.close();
  }
}
