import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { RunCancelRequested } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import { SERVICE } from '../ids';
import { CancelRunUseCase } from '../usecases/cancel-run/cancel-run.usecase';

@Controller()
export class RunCancelHandler {
  constructor(private readonly cancelRun: CancelRunUseCase) {}

  @EventPattern('aoe.cmd.run.cancel', { service: SERVICE } satisfies HandlerExtras)
  async handle(@Payload() request: RunCancelRequested, @Ctx() inbound: InboundMessage): Promise<void> {
    await this.cancelRun.execute({
      ...request,
      messageId: inbound.envelope.id,
      correlationId: inbound.envelope.correlationId,
    });
  }
}
