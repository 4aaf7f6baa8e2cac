import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { SourceProfiled } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import { DraftPlanUseCase, SERVICE } from './usecases/draft-plan/draft-plan.usecase';

@Controller()
export class DraftPlanHandler {
  constructor(private readonly draftPlan: DraftPlanUseCase) {}

  @EventPattern('aoe.evt.source.profiled', { service: SERVICE } satisfies HandlerExtras)
  async handle(@Payload() profiled: SourceProfiled, @Ctx() message: InboundMessage): Promise<void> {
    await this.draftPlan.execute({
      ...profiled,
      messageId: message.envelope.id,
      subject: message.subject,
      correlationId: message.envelope.correlationId,
    });
  }
}
