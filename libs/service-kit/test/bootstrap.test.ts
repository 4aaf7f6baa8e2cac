import {
  Controller,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Messages, type RunEvent } from '@aoe/contracts';
import { waitUntil } from '@aoe/testing';
import { connectMeshPlatform, startServiceApp } from '../src';
import { createTestMesh, type TestMesh } from '../src/test-services';

/** Which lifecycle hooks ran, how often, and what the bus delivered once they had. */
@Injectable()
class LifecycleLog implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  readonly calls: string[] = [];
  onModuleInit(): void {
    this.calls.push('init');
  }
  onApplicationBootstrap(): void {
    this.calls.push('bootstrap');
  }
  onModuleDestroy(): void {
    this.calls.push('destroy');
  }
  onApplicationShutdown(): void {
    this.calls.push('shutdown');
  }
}

@Controller()
class RunSeen {
  constructor(private readonly log: LifecycleLog) {}

  @EventPattern('aoe.evt.run.succeeded')
  seen(@Payload() event: RunEvent): void {
    this.log.calls.push(`run ${event.runId}`);
  }
}

@Module({ providers: [LifecycleLog], controllers: [RunSeen] })
class LifecycleModule {}

const runSucceeded = (runId: string): RunEvent => ({
  runId,
  pipelineId: 'p',
  status: 'succeeded',
  at: new Date().toISOString(),
  stats: { rowsRead: 1, rowsLoaded: 1, rowsQuarantined: 0, bytes: 1, durationMs: 1 },
});

describe('startServiceApp: lifecycle hooks', () => {
  let mesh: TestMesh;

  beforeAll(async () => {
    mesh = await createTestMesh('svckit');
  });
  afterAll(async () => {
    await mesh.stop();
  });

  it.each([
    ['with HTTP (a hybrid app)', true],
    ['without HTTP (the bus only)', false],
  ])('runs each hook once %s, and the bus delivers after bootstrap', async (_, listen) => {
    const service = `lifecycle-${listen ? 'http' : 'bus'}`;
    const platform = await connectMeshPlatform(service, mesh);
    const started = await startServiceApp({ service, modules: [LifecycleModule], platform, listen });
    const log = started.app.get(LifecycleLog);
    // A new durable consumer also gets the other case's event: only this one's counts.
    const calls = () => log.calls.filter((call) => !call.startsWith('run ') || call === `run ${service}`);
    try {
      expect(calls()).toEqual(['init', 'bootstrap']);
      await platform.bus.publish(Messages.RunSucceeded, runSucceeded(service), { correlationId: service });
      await waitUntil(() => (log.calls.includes(`run ${service}`) ? true : undefined), 'the run event');
    } finally {
      await started.close();
    }
    expect(calls()).toEqual(['init', 'bootstrap', `run ${service}`, 'destroy', 'shutdown']);
  });
});
