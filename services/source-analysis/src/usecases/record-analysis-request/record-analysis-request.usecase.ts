import { Injectable } from '@nestjs/common';
import { NonRetryableError } from '@aoe/messaging';
import { Store } from '@aoe/store';
import { RecordAnalysisRequestCommand } from './record-analysis-request.command';

export const SERVICE = 'source-analysis';

/**
 * Records that a source's analysis was requested and marks the source as being
 * analysed, once per request. (The profiling itself arrives with the agents.)
 */
@Injectable()
export class RecordAnalysisRequestUseCase {
  constructor(private readonly store: Store) {}

  /** Returns false when this request was already recorded. */
  async execute(input: RecordAnalysisRequestCommand): Promise<boolean> {
    const command = RecordAnalysisRequestCommand.parse(input);
    return this.store.transaction(async (tx) => {
      const source = await tx.sources.get(command.sourceId);
      if (!source) throw new NonRetryableError(`source "${command.sourceId}" is not registered`);
      if (!(await tx.inbox.recordOnce(SERVICE, command.messageId, command.subject))) return false;
      await tx.sources.updateStatus(command.sourceId, 'analyzing');
      return true;
    });
  }
}
