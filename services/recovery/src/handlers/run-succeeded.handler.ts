import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { RunEvent } from '@aoe/contracts';
import type { HandlerExtras } from '@aoe/messaging';
import { CloseCircuitUseCase } from '../usecases/close-circuit/close-circuit.usecase';
import { SERVICE } from '../usecases/recover-failure/recover-failure.usecase';

@Controller()
export class RunSucceededHandler {
  constructor(private readonly closeCircuit: CloseCircuitUseCase) {}

  @EventPattern('aoe.evt.run.succeeded', { service: SERVICE } satisfies HandlerExtras)
  async handle(@Payload() event: RunEvent): Promise<void> {
    await this.closeCircuit.execute({ ...event, status: 'succeeded' });
  }
}
