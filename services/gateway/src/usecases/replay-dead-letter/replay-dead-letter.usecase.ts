import { Inject, Injectable } from '@nestjs/common';
import { definitionForSubject, envelopeOf, type DeadLetter, type MessageDefinition } from '@aoe/contracts';
import { BUS, uuidFromText, type Bus } from '@aoe/messaging';
import { ConflictError, NotFoundError, Store } from '@aoe/store';
import { UnprocessableError } from '../../http/problem';
import { ReplayDeadLetterCommand } from './replay-dead-letter.command';

export interface ReplayResult {
  id: string;
  subject: string;
  messageId: string;
  /** True when the bus had already taken this replay (a repeated click inside the duplicate window). */
  duplicate: boolean;
  replayedAt: string;
}

/**
 * Puts a dead letter's original message back on its original subject, for its
 * consumer to try again.
 *
 * - Re-validated first: the original bytes must still parse as an envelope of
 *   the subject's current contract, or the replay is refused (422) instead of
 *   being dead-lettered again.
 * - Same payload, correlation and type; a new envelope id, derived from the dead
 *   letter and its previous replay time, with causationId = the original id. The
 *   original id would be dropped by JetStream's duplicate window; a derived id
 *   makes two concurrent replays of the same letter one message.
 * - Replayed once: a second replay needs force=true (409 otherwise).
 */
@Injectable()
export class ReplayDeadLetterUseCase {
  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  async execute(input: ReplayDeadLetterCommand): Promise<ReplayResult> {
    const command = ReplayDeadLetterCommand.parse(input);
    const record = await this.store.deadLetters.get(command.id);
    if (!record) throw new NotFoundError('dead letter', command.id);
    if (record.replayedAt && !command.force) {
      throw new ConflictError(`dead letter "${record.id}" was replayed at ${record.replayedAt}; pass force=true`);
    }
    const { definition, envelope } = revalidate(record.deadLetter);
    const { envelope: sent, duplicate } = await this.bus.publish(definition, envelope.payload, {
      id: uuidFromText(`replay:${record.id}:${record.replayedAt ?? ''}`),
      correlationId: envelope.correlationId,
      causationId: envelope.id,
      ...(/[*>]/.test(definition.subject) ? { subject: record.deadLetter.originalSubject } : {}),
    });
    const marked = await this.store.deadLetters.markReplayed(record.id);
    return {
      id: record.id,
      subject: record.deadLetter.originalSubject,
      messageId: sent.id,
      duplicate,
      replayedAt: marked?.replayedAt ?? new Date().toISOString(),
    };
  }
}

function revalidate(letter: DeadLetter): {
  definition: MessageDefinition;
  envelope: { id: string; correlationId: string; payload: unknown };
} {
  const definition = definitionForSubject(letter.originalSubject);
  if (!definition) throw new UnprocessableError(`no contract handles subject "${letter.originalSubject}"`);
  const text =
    letter.originalEncoding === 'base64'
      ? Buffer.from(letter.originalData, 'base64').toString('utf8')
      : letter.originalData;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UnprocessableError('the original message is not JSON; replaying it would fail again');
  }
  const parsed = envelopeOf(definition.payload).safeParse(json);
  if (!parsed.success || parsed.data.type !== definition.type) {
    const issues = parsed.success
      ? `type "${parsed.data.type}" does not belong on ${letter.originalSubject}`
      : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new UnprocessableError(
      `the original message still breaks its contract (${issues}); replaying it would fail again`,
    );
  }
  return { definition, envelope: parsed.data };
}
