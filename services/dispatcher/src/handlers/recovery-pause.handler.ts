import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { RecoveryPausePipeline } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import { SERVICE } from '../ids';
import { PausePipelineUseCase } from '../usecases/recover-pause-pipeline/pause-pipeline.usecase';

@Controller()
export class RecoveryPauseHandler {
  constructor(private readonly pausePipeline: PausePipelineUseCase) {}

  @EventPattern('aoe.cmd.recovery.pause-pipeline', { service: SERVICE } satisfies HandlerExtras)
  async handle(@Payload() command: RecoveryPausePipeline, @Ctx() inbound: InboundMessage): Promise<void> {
    await this.pausePipeline.execute({ ...command, messageId: inbound.envelope.id });
  }
}
