import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { z } from 'zod';
import type { DeadLetterRecord, Page } from '@aoe/store';
import { RequireScope } from '../auth/scope';
import { ZodQueryPipe } from '../http/zod-query.pipe';
import { ListDeadLettersCommand } from '../usecases/list-dead-letters/list-dead-letters.command';
import { ListDeadLettersUseCase } from '../usecases/list-dead-letters/list-dead-letters.usecase';
import { ReplayDeadLetterQuery } from '../usecases/replay-dead-letter/replay-dead-letter.command';
import { ReplayDeadLetterUseCase, type ReplayResult } from '../usecases/replay-dead-letter/replay-dead-letter.usecase';

@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(
    private readonly listDeadLetters: ListDeadLettersUseCase,
    private readonly replayDeadLetter: ReplayDeadLetterUseCase,
  ) {}

  @Get()
  @RequireScope('read')
  list(
    @Query(new ZodQueryPipe(ListDeadLettersCommand)) query: ListDeadLettersCommand,
  ): Promise<Page<DeadLetterRecord>> {
    return this.listDeadLetters.execute(query);
  }

  /** Replaying puts a message back in front of a service: an admin decision. */
  @Post(':id/replay')
  @HttpCode(202)
  @RequireScope('admin')
  replay(
    @Param('id') id: string,
    @Query(new ZodQueryPipe(ReplayDeadLetterQuery)) query: z.infer<typeof ReplayDeadLetterQuery>,
  ): Promise<ReplayResult> {
    return this.replayDeadLetter.execute({ id, force: query.force });
  }
}
