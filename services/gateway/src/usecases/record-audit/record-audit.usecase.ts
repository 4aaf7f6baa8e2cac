import { Injectable } from '@nestjs/common';
import { Store } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import { RecordAuditCommand } from './record-audit.command';

/** Appends who did what, when and how it ended; a failure to audit is logged, never hidden. */
@Injectable()
export class RecordAuditUseCase {
  constructor(
    private readonly store: Store,
    private readonly telemetry: Telemetry,
  ) {}

  async execute(input: RecordAuditCommand): Promise<void> {
    const command = RecordAuditCommand.parse(input);
    try {
      await this.store.audit.record(command);
    } catch (error) {
      this.telemetry.logger.error({ err: error, action: command.action }, 'could not write the audit record');
    }
  }
}
