import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { DeadLetter } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import { RecordDeadLetterUseCase } from '../usecases/record-dead-letter/record-dead-letter.usecase';

@Controller()
export class DeadLetterHandler {
  constructor(private readonly recordDeadLetter: RecordDeadLetterUseCase) {}

  @EventPattern('aoe.dlq.>', { service: 'gateway' } satisfies HandlerExtras)
  handle(@Payload() letter: DeadLetter, @Ctx() message: InboundMessage): Promise<void> {
    return this.recordDeadLetter.execute(letter, message.envelope.id);
  }
}
