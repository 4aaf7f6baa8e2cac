import { Injectable } from '@nestjs/common';
import { NotFoundError, Store, type AlertRecord } from '@aoe/store';
import { AcknowledgeAlertCommand } from './acknowledge-alert.command';

/** Marks an alert seen; the first acknowledgement time is kept, so repeating it is harmless. */
@Injectable()
export class AcknowledgeAlertUseCase {
  constructor(private readonly store: Store) {}

  async execute(input: AcknowledgeAlertCommand): Promise<AlertRecord> {
    const { id } = AcknowledgeAlertCommand.parse(input);
    const alert = await this.store.alerts.acknowledge(id);
    if (!alert) throw new NotFoundError('alert', id);
    return alert;
  }
}
