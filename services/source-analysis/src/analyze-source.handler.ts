import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { AnalyzeSource } from '@aoe/contracts';
import type { HandlerExtras, InboundMessage, RetryPolicy } from '@aoe/messaging';
import { AnalyzeSourceUseCase, SERVICE } from './usecases/analyze-source/analyze-source.usecase';

/** Unreachable sources are retried for about 7.5 s (0.5, 1, 2, 4 s ± 20%) before the source is marked failed. */
export const ANALYZE_RETRY: RetryPolicy = {
  maxDeliver: 5,
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 30_000,
  jitter: 0.2,
};

@Controller()
export class AnalyzeSourceHandler {
  constructor(private readonly analyzeSource: AnalyzeSourceUseCase) {}

  @EventPattern('aoe.cmd.source.analyze', {
    service: SERVICE,
    retry: ANALYZE_RETRY,
    ackWaitMs: 60_000,
  } satisfies HandlerExtras)
  async handle(@Payload() command: AnalyzeSource, @Ctx() message: InboundMessage): Promise<void> {
    await this.analyzeSource.execute(
      {
        ...command,
        messageId: message.envelope.id,
        subject: message.subject,
        correlationId: message.envelope.correlationId,
        lastAttempt: message.attempt >= ANALYZE_RETRY.maxDeliver,
      },
      { onProgress: () => message.working() },
    );
  }
}
