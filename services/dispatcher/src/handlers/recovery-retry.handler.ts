import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { RecoveryRetry } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import { SERVICE } from '../ids';
import { RecoverRunUseCase } from '../usecases/recover-run/recover-run.usecase';

@Controller()
export class RecoveryRetryHandler {
  constructor(private readonly recoverRun: RecoverRunUseCase) {}

  /** Held through the delay and the run (heartbeats keep it), like aoe.cmd.run.requested. */
  @EventPattern('aoe.cmd.recovery.retry', {
    service: SERVICE,
    concurrency: Number(process.env.AOE_MAX_CONCURRENT_RUNS ?? 4),
    retry: { maxDeliver: 10, initialDelayMs: 250, maxDelayMs: 5_000 },
  } satisfies HandlerExtras)
  async handle(@Payload() command: RecoveryRetry, @Ctx() inbound: InboundMessage): Promise<void> {
    await this.recoverRun.execute(
      {
        ...command,
        messageId: inbound.envelope.id,
        correlationId: inbound.envelope.correlationId,
        publishedAt: inbound.envelope.occurredAt,
      },
      { heartbeat: () => inbound.working() },
    );
  }
}
