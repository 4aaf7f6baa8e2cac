import { Controller, Get, Query } from '@nestjs/common';
import type { AgentDecision } from '@aoe/contracts';
import type { Page } from '@aoe/store';
import { RequireScope } from '../auth/scope';
import { ZodQueryPipe } from '../http/zod-query.pipe';
import { ListDecisionsCommand } from '../usecases/list-decisions/list-decisions.command';
import { ListDecisionsUseCase } from '../usecases/list-decisions/list-decisions.usecase';

@Controller('v1/decisions')
export class DecisionsController {
  constructor(private readonly listDecisions: ListDecisionsUseCase) {}

  @Get()
  @RequireScope('read')
  list(@Query(new ZodQueryPipe(ListDecisionsCommand)) query: ListDecisionsCommand): Promise<Page<AgentDecision>> {
    return this.listDecisions.execute(query);
  }
}
