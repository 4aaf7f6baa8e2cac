/**
 * BEGIN/COMMIT/ROLLBACK (or SAVEPOINT/RELEASE/ROLLBACK TO) around fn, for the
 * engines' sessions that do not manage transactions themselves.
 */
export interface BlockStatements {
  begin: string;
  commit: string;
  rollback: string;
}

export const transactionBlock: BlockStatements = { begin: 'BEGIN', commit: 'COMMIT', rollback: 'ROLLBACK' };

/** depth is how many blocks are already open, so nested savepoints get distinct names. */
export function savepointBlock(depth: number): BlockStatements {
  const name = `aoe_savepoint_${depth}`;
  return { begin: `SAVEPOINT ${name}`, commit: `RELEASE SAVEPOINT ${name}`, rollback: `ROLLBACK TO SAVEPOINT ${name}` };
}

export async function runInBlock<T>(
  execute: (sql: string) => Promise<unknown>,
  block: BlockStatements,
  fn: () => Promise<T>,
): Promise<T> {
  await execute(block.begin);
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    await execute(block.rollback);
    throw error;
  }
  await execute(block.commit);
  return result;
}
