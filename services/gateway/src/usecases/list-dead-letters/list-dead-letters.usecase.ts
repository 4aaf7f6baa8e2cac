import { Injectable } from '@nestjs/common';
import { Store, type DeadLetterRecord, type Page } from '@aoe/store';
import { ListDeadLettersCommand } from './list-dead-letters.command';

@Injectable()
export class ListDeadLettersUseCase {
  constructor(private readonly store: Store) {}

  execute(input: ListDeadLettersCommand): Promise<Page<DeadLetterRecord>> {
    return this.store.deadLetters.list(ListDeadLettersCommand.parse(input));
  }
}
