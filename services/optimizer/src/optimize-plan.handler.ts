import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { PlanMessage } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import { OptimizePlanUseCase, SERVICE } from './usecases/optimize-plan/optimize-plan.usecase';

@Controller()
export class OptimizePlanHandler {
  constructor(private readonly optimizePlan: OptimizePlanUseCase) {}

  @EventPattern('aoe.evt.plan.drafted', { service: SERVICE } satisfies HandlerExtras)
  async handle(@Payload() drafted: PlanMessage, @Ctx() message: InboundMessage): Promise<void> {
    await this.optimizePlan.execute({
      ...drafted,
      messageId: message.envelope.id,
      subject: message.subject,
      correlationId: message.envelope.correlationId,
    });
  }
}
