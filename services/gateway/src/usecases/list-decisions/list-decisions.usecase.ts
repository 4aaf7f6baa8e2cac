import { Injectable } from '@nestjs/common';
import type { AgentDecision } from '@aoe/contracts';
import { Store, type Page } from '@aoe/store';
import { ListDecisionsCommand } from './list-decisions.command';

@Injectable()
export class ListDecisionsUseCase {
  constructor(private readonly store: Store) {}

  execute(input: ListDecisionsCommand): Promise<Page<AgentDecision>> {
    const { runId, ...command } = ListDecisionsCommand.parse(input);
    return this.store.decisions.list({ ...command, correlationId: runId });
  }
}
