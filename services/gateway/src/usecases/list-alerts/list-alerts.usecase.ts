import { Injectable } from '@nestjs/common';
import { Store, type AlertRecord, type Page } from '@aoe/store';
import { ListAlertsCommand } from './list-alerts.command';

@Injectable()
export class ListAlertsUseCase {
  constructor(private readonly store: Store) {}

  execute(input: ListAlertsCommand): Promise<Page<AlertRecord>> {
    return this.store.alerts.list(ListAlertsCommand.parse(input));
  }
}
