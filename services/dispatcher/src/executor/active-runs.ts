import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/** The reason a run is aborted when its dispatcher stops: the run is handed back, not cancelled. */
export class DispatcherStopping extends Error {
  override readonly name = 'DispatcherStopping';
  constructor() {
    super('the dispatcher is stopping; the run will resume on another replica');
  }
}

/** The runs this replica is executing, so a cancel (or a shutdown) can reach them. */
@Injectable()
export class ActiveRuns implements BeforeApplicationShutdown {
  private readonly runs = new Map<string, AbortController>();

  start(runId: string): AbortController {
    const controller = new AbortController();
    this.runs.set(runId, controller);
    return controller;
  }

  finish(runId: string): void {
    this.runs.delete(runId);
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** Aborts a run executing here; false when it is not. */
  cancel(runId: string, reason: string): boolean {
    const controller = this.runs.get(runId);
    if (!controller) return false;
    if (!controller.signal.aborted) controller.abort(new Error(reason));
    return true;
  }

  /** Before the bus stops: runs in hand are aborted and handed back to the bus for another replica. */
  beforeApplicationShutdown(): void {
    for (const controller of this.runs.values()) {
      if (!controller.signal.aborted) controller.abort(new DispatcherStopping());
    }
  }
}
