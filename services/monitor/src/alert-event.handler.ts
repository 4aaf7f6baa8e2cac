import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { Alert } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import { SERVICE } from './usecases/raise-alert/raise-alert.usecase';
import { ForwardAlertUseCase } from './usecases/forward-alert/forward-alert.usecase';

const HEARTBEAT_MS = 10_000;

@Controller()
export class AlertEventHandler {
  constructor(private readonly forwardAlert: ForwardAlertUseCase) {}

  /**
   * A forward holds a store connection for its delivery (the claim and the POST share a transaction),
   * so few run at once: a dead webhook ties up at most that many of the pool. A delivery can outlast
   * the bus's ack wait (every attempt timing out), so the bus is told the message is still in hand.
   */
  @EventPattern('aoe.evt.alert.raised', { service: SERVICE, concurrency: 2 } satisfies HandlerExtras)
  async raised(@Payload() alert: Alert, @Ctx() message: InboundMessage): Promise<void> {
    const heartbeat = setInterval(() => message.working(), HEARTBEAT_MS);
    try {
      await this.forwardAlert.execute(alert, message.subject);
    } finally {
      clearInterval(heartbeat);
    }
  }
}
