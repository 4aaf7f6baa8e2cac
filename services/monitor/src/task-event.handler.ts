import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { AgentDecision, TaskEvent } from '@aoe/contracts';
import type { HandlerExtras } from '@aoe/messaging';
import { SERVICE } from './usecases/raise-alert/raise-alert.usecase';
import { RecordDecisionEventUseCase } from './usecases/record-decision-event/record-decision-event.usecase';
import { RecordTaskEventUseCase } from './usecases/record-task-event/record-task-event.usecase';

const extras = { service: SERVICE } satisfies HandlerExtras;

/** Task and decision events: counted for /metrics. */
@Controller()
export class TaskEventHandler {
  constructor(
    private readonly recordTaskEvent: RecordTaskEventUseCase,
    private readonly recordDecisionEvent: RecordDecisionEventUseCase,
  ) {}

  @EventPattern('aoe.evt.task.started', extras)
  started(@Payload() event: TaskEvent): void {
    this.recordTaskEvent.execute(event);
  }

  @EventPattern('aoe.evt.task.progress', extras)
  progress(@Payload() event: TaskEvent): void {
    this.recordTaskEvent.execute(event);
  }

  @EventPattern('aoe.evt.task.succeeded', extras)
  succeeded(@Payload() event: TaskEvent): void {
    this.recordTaskEvent.execute(event);
  }

  @EventPattern('aoe.evt.task.failed', extras)
  failed(@Payload() event: TaskEvent): void {
    this.recordTaskEvent.execute(event);
  }

  @EventPattern('aoe.evt.decision.recorded', extras)
  decision(@Payload() decision: AgentDecision): void {
    this.recordDecisionEvent.execute(decision);
  }
}
