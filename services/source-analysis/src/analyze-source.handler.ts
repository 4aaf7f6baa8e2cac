import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { AnalyzeSource } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage } from '@aoe/messaging';
import {
  RecordAnalysisRequestUseCase,
  SERVICE,
} from './usecases/record-analysis-request/record-analysis-request.usecase';

@Controller()
export class AnalyzeSourceHandler {
  constructor(private readonly recordAnalysisRequest: RecordAnalysisRequestUseCase) {}

  @EventPattern('aoe.cmd.source.analyze', { service: SERVICE } satisfies HandlerExtras)
  async handle(@Payload() command: AnalyzeSource, @Ctx() message: InboundMessage): Promise<void> {
    await this.recordAnalysisRequest.execute({
      sourceId: command.sourceId,
      messageId: message.envelope.id,
      subject: message.subject,
    });
  }
}
