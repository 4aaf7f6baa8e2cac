import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { RunEvent } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import { RecoverFailureUseCase, SERVICE } from '../usecases/recover-failure/recover-failure.usecase';

@Controller()
export class RunFailedHandler {
  constructor(private readonly recoverFailure: RecoverFailureUseCase) {}

  @EventPattern('aoe.evt.run.failed', {
    service: SERVICE,
    // Long enough for a claim another replica left undecided to go stale (AOE_RECOVERY_CLAIM_LEASE_MS).
    retry: { maxDeliver: 25, initialDelayMs: 200, maxDelayMs: 5_000 },
  } satisfies HandlerExtras)
  async handle(@Payload() event: RunEvent, @Ctx() message: InboundMessage): Promise<void> {
    await this.recoverFailure.execute({
      ...event,
      status: 'failed',
      messageId: message.envelope.id,
      correlationId: message.envelope.correlationId,
    });
  }
}
