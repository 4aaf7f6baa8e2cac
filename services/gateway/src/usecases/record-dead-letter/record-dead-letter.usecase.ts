import { Injectable } from '@nestjs/common';
import type { DeadLetter } from '@aoe/contracts';
import { Store } from '@aoe/store';

/** Keeps every dead letter in the store, where operators list and replay them. */
@Injectable()
export class RecordDeadLetterUseCase {
  constructor(private readonly store: Store) {}

  async execute(letter: DeadLetter, envelopeId: string): Promise<void> {
    // The envelope id is stable for one failed delivery, so a redelivered dead letter is recorded once.
    await this.store.deadLetters.record(letter, envelopeId);
  }
}
