import { Inject, Injectable } from '@nestjs/common';
import { Messages } from '@aoe/contracts';
import { BUS, type Bus } from '@aoe/messaging';
import { NotFoundError, Store, type SourceRecord } from '@aoe/store';
import { AnalyzeSourceCommand } from './analyze-source.command';

/** Asks again for a source's analysis (aoe.cmd.source.analyze). */
@Injectable()
export class AnalyzeSourceUseCase {
  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  async execute(input: AnalyzeSourceCommand): Promise<SourceRecord> {
    const command = AnalyzeSourceCommand.parse(input);
    const source = await this.store.sources.get(command.id);
    if (!source) throw new NotFoundError('source', command.id);
    await this.bus.publish(
      Messages.AnalyzeSource,
      { sourceId: source.id, spec: source.spec },
      { correlationId: command.correlationId },
    );
    return source;
  }
}
