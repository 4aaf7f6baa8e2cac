import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Messages } from '@aoe/contracts';
import { deleteTestStreams, testNatsUrl, uniqueName } from '@aoe/testing';
import { JetStreamBus } from '../src';
import { waitFor } from './bus-contract';

function startReplica(servers: string, namespace: string): { child: ChildProcess; output: () => string } {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(__dirname, 'fixtures', 'hanging-replica.ts'), servers, namespace],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { child, output: () => out };
}

describe('jetstream: a replica process killed with SIGKILL while handling', () => {
  let servers: string;
  const namespace = uniqueName('kill');
  const buses: JetStreamBus[] = [];

  beforeAll(async () => {
    servers = await testNatsUrl();
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await deleteTestStreams(servers, namespace);
  });

  it('has its message redelivered to the surviving replica and handled', async () => {
    const producer = await JetStreamBus.connect({ servers, namespace });
    buses.push(producer);
    const doomed = startReplica(servers, namespace);
    try {
      await waitFor(() => doomed.output().includes('ready'), 30_000, 'the replica process to start');
      await producer.publish(
        Messages.RunRequested,
        { runId: 'run-k', pipelineId: 'p', trigger: 'manual' },
        { correlationId: 'k' },
      );
      await waitFor(() => doomed.output().includes('got run-k'), 10_000, 'the replica to take the message');
    } finally {
      doomed.child.kill('SIGKILL');
    }

    const survivor = await JetStreamBus.connect({ servers, namespace });
    buses.push(survivor);
    const handled: Array<{ runId: string; attempt: number }> = [];
    await survivor.subscribe({
      service: 'killable',
      definitions: [Messages.RunRequested],
      ackWaitMs: 1_000,
      handler: async (m) => {
        handled.push({ runId: m.payload.runId, attempt: m.attempt });
      },
    });
    await waitFor(() => handled.length === 1, 15_000, 'redelivery to the survivor');
    expect(handled).toEqual([{ runId: 'run-k', attempt: 2 }]);
  });
});
