import { runInBlock, savepointBlock, transactionBlock } from './transaction-block';

describe('runInBlock', () => {
  it('begins, runs and commits', async () => {
    const log: string[] = [];
    const result = await runInBlock(
      async (sql) => log.push(sql),
      transactionBlock,
      async () => {
        log.push('work');
        return 42;
      },
    );
    expect(result).toBe(42);
    expect(log).toEqual(['BEGIN', 'work', 'COMMIT']);
  });

  it('rolls back and rethrows when the work fails', async () => {
    const log: string[] = [];
    await expect(
      runInBlock(
        async (sql) => log.push(sql),
        savepointBlock(2),
        async () => {
          throw new Error('boom');
        },
      ),
    ).rejects.toThrow('boom');
    expect(log).toEqual(['SAVEPOINT aoe_savepoint_2', 'ROLLBACK TO SAVEPOINT aoe_savepoint_2']);
  });
});
