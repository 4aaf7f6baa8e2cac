import { Module } from '@nestjs/common';
import { RecordDeadLetterUseCase } from '../usecases/record-dead-letter/record-dead-letter.usecase';
import { DeadLetterHandler } from './dead-letter.handler';

/**
 * The gateway's one bus consumer: every dead letter kept in the store. Its own
 * module (and entry, `@aoe/gateway/dead-letters`) so that embedded mode, which
 * serves neither REST nor gRPC, mounts it without the rest of the gateway.
 */
@Module({
  controllers: [DeadLetterHandler],
  providers: [RecordDeadLetterUseCase],
})
export class DeadLettersModule {}
