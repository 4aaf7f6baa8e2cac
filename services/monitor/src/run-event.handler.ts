import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { RunEvent } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import { SERVICE } from './usecases/raise-alert/raise-alert.usecase';
import { RecordRunEventUseCase } from './usecases/record-run-event/record-run-event.usecase';

const extras = { service: SERVICE } satisfies HandlerExtras;

@Controller()
export class RunEventHandler {
  constructor(private readonly recordRunEvent: RecordRunEventUseCase) {}

  @EventPattern('aoe.evt.run.started', extras)
  async started(@Payload() event: RunEvent, @Ctx() message: InboundMessage): Promise<void> {
    await this.handle(event, message);
  }

  @EventPattern('aoe.evt.run.succeeded', extras)
  async succeeded(@Payload() event: RunEvent, @Ctx() message: InboundMessage): Promise<void> {
    await this.handle(event, message);
  }

  @EventPattern('aoe.evt.run.failed', extras)
  async failed(@Payload() event: RunEvent, @Ctx() message: InboundMessage): Promise<void> {
    await this.handle(event, message);
  }

  @EventPattern('aoe.evt.run.cancelled', extras)
  async cancelled(@Payload() event: RunEvent, @Ctx() message: InboundMessage): Promise<void> {
    await this.handle(event, message);
  }

  private async handle(event: RunEvent, message: InboundMessage): Promise<void> {
    await this.recordRunEvent.execute({
      ...event,
      messageId: message.envelope.id,
      correlationId: message.envelope.correlationId,
    });
  }
}
