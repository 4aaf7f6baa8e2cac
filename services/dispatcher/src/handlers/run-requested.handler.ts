import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { RunRequested } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import { SERVICE } from '../ids';
import { StartRunUseCase } from '../usecases/start-run/start-run.usecase';

@Controller()
export class RunRequestedHandler {
  constructor(private readonly startRun: StartRunUseCase) {}

  /** Held until the run ends (heartbeats keep it), so a replica that dies mid-run hands it to another. */
  @EventPattern('aoe.cmd.run.requested', {
    service: SERVICE,
    concurrency: Number(process.env.AOE_MAX_CONCURRENT_RUNS ?? 4),
    retry: { maxDeliver: 10, initialDelayMs: 250, maxDelayMs: 5_000 },
  } satisfies HandlerExtras)
  async handle(@Payload() request: RunRequested, @Ctx() inbound: InboundMessage): Promise<void> {
    await this.startRun.execute(
      { ...request, messageId: inbound.envelope.id, correlationId: inbound.envelope.correlationId },
      { heartbeat: () => inbound.working() },
    );
  }
}
