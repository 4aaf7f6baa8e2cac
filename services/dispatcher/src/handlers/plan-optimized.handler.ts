import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { PlanMessage } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import { SERVICE } from '../ids';
import { ActivatePlanUseCase } from '../usecases/activate-plan/activate-plan.usecase';

@Controller()
export class PlanOptimizedHandler {
  constructor(private readonly activatePlan: ActivatePlanUseCase) {}

  @EventPattern('aoe.evt.plan.optimized', {
    service: SERVICE,
    retry: { maxDeliver: 8, initialDelayMs: 200, maxDelayMs: 5_000 },
  } satisfies HandlerExtras)
  async handle(@Payload() message: PlanMessage, @Ctx() inbound: InboundMessage): Promise<void> {
    await this.activatePlan.execute({ plan: message.plan, messageId: inbound.envelope.id, subject: inbound.subject });
  }
}
