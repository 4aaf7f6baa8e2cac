import { Inject, Injectable } from '@nestjs/common';
import { Messages } from '@aoe/contracts';
import { BUS, type Bus } from '@aoe/messaging';
import { Store, type SourceRecord } from '@aoe/store';
import { RegisterSourceCommand } from './register-source.command';

/** Stores a source and asks for its analysis. */
@Injectable()
export class RegisterSourceUseCase {
  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  async execute(input: RegisterSourceCommand): Promise<SourceRecord> {
    const command = RegisterSourceCommand.parse(input);
    const source = await this.store.sources.create({ name: command.name, spec: command.spec });
    await this.bus.publish(
      Messages.AnalyzeSource,
      { sourceId: source.id, spec: source.spec },
      { correlationId: command.correlationId },
    );
    return source;
  }
}
