import { Injectable } from '@nestjs/common';
import type { CheckResult } from '@aoe/connectors';
import { NotFoundError, Store } from '@aoe/store';
import { SourceConnectionChecker } from './source-connection.checker';
import { TestSourceConnectionCommand } from './test-source-connection.command';

/** Connects to a registered source and says whether it answers; never returns a credential. */
@Injectable()
export class TestSourceConnectionUseCase {
  constructor(
    private readonly store: Store,
    private readonly checker: SourceConnectionChecker,
  ) {}

  async execute(input: TestSourceConnectionCommand): Promise<CheckResult> {
    const { id } = TestSourceConnectionCommand.parse(input);
    const source = await this.store.sources.get(id);
    if (!source) throw new NotFoundError('source', id);
    return this.checker.check(source.spec);
  }
}
