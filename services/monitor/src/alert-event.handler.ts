import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { Alert } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import { SERVICE } from './usecases/raise-alert/raise-alert.usecase';
import { ForwardAlertUseCase } from './usecases/forward-alert/forward-alert.usecase';

@Controller()
export class AlertEventHandler {
  constructor(private readonly forwardAlert: ForwardAlertUseCase) {}

  @EventPattern('aoe.evt.alert.raised', { service: SERVICE } satisfies HandlerExtras)
  async raised(@Payload() alert: Alert, @Ctx() message: InboundMessage): Promise<void> {
    await this.forwardAlert.execute(alert, message.subject);
  }
}
