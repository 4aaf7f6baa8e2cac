import { Inject, Injectable } from '@nestjs/common';
import { Messages } from '@aoe/contracts';
import { BUS, type Bus } from '@aoe/messaging';
import { ConflictError, Store, TERMINAL_RUN_STATUSES } from '@aoe/store';
import { CancelRunCommand } from './cancel-run.command';

export interface CancelAccepted {
  runId: string;
  status: 'cancel-requested';
  messageId: string;
}

/**
 * Publishes aoe.cmd.run.cancel. A run the store does not know yet (just
 * requested) may still be cancelled: the dispatcher remembers the request. A
 * finished run cannot be.
 */
@Injectable()
export class CancelRunUseCase {
  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  async execute(input: CancelRunCommand): Promise<CancelAccepted> {
    const command = CancelRunCommand.parse(input);
    const run = await this.store.runs.get(command.id);
    if (run && TERMINAL_RUN_STATUSES.includes(run.status)) {
      throw new ConflictError(`run "${run.id}" already ${run.status}`);
    }
    const { envelope } = await this.bus.publish(
      Messages.RunCancelRequested,
      { runId: command.id, reason: command.reason ?? `cancelled by ${command.requestedBy}` },
      { correlationId: command.id },
    );
    return { runId: command.id, status: 'cancel-requested', messageId: envelope.id };
  }
}
