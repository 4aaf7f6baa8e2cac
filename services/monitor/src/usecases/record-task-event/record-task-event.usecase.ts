import { Injectable } from '@nestjs/common';
import { MonitorMetrics } from '../../metrics/monitor.metrics';
import { RecordTaskEventCommand } from './record-task-event.command';

/** Counts task events by status (aoe_tasks_total); task runs themselves are the dispatcher's to store. */
@Injectable()
export class RecordTaskEventUseCase {
  constructor(private readonly metrics: MonitorMetrics) {}

  execute(input: RecordTaskEventCommand): void {
    const event = RecordTaskEventCommand.parse(input);
    this.metrics.tasks.inc({ status: event.status });
  }
}
