import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Messages, type MessageDefinition, type RunEvent, type TaskEvent } from '@aoe/contracts';
import { BUS, decodeMessage, JetStreamBus, type Bus } from '@aoe/messaging';
import { Telemetry } from '@aoe/telemetry';
import { GatewayConfig } from '../config/gateway.config';

export interface RunEventMessage {
  subject: string;
  type: string;
  payload: RunEvent | TaskEvent;
}

export type RunEventListener = (event: RunEventMessage) => void;

const RUN_EVENTS: readonly MessageDefinition[] = [
  Messages.RunStarted,
  Messages.RunSucceeded,
  Messages.RunFailed,
  Messages.RunCancelled,
];
const TASK_EVENTS: readonly MessageDefinition[] = [
  Messages.TaskStarted,
  Messages.TaskProgress,
  Messages.TaskSucceeded,
  Messages.TaskFailed,
];
const EVENTS = [...RUN_EVENTS, ...TASK_EVENTS];

/**
 * One subscription per gateway process to aoe.evt.run.* and aoe.evt.task.*,
 * fanned out in process to every stream watching a run id. On JetStream it is a
 * plain NATS subscription (no consumer at all: nothing durable is created per
 * stream, per replica, or per restart, and every replica sees every event). A
 * live view is at-most-once; the store holds the history.
 */
@Injectable()
export class RunEventsHub implements OnApplicationShutdown {
  private readonly listeners = new Map<string, Set<RunEventListener>>();
  private readonly stops: Array<() => Promise<void>> = [];
  private started: Promise<void> | undefined;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    private readonly config: GatewayConfig,
    private readonly telemetry: Telemetry,
  ) {}

  /** Starts the one subscription; repeated calls share it. */
  start(): Promise<void> {
    this.started ??= this.subscribe();
    return this.started;
  }

  /** Calls listener with each event of the run until the returned function is called. */
  watch(runId: string, listener: RunEventListener): () => void {
    const set = this.listeners.get(runId) ?? new Set<RunEventListener>();
    set.add(listener);
    this.listeners.set(runId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(runId) === set) this.listeners.delete(runId);
    };
  }

  /** How many runs are being watched (for tests and metrics). */
  get watchedRuns(): number {
    return this.listeners.size;
  }

  /** Decodes an event against its contract and hands it to the run's watchers; never throws. */
  deliver(subject: string, data: Uint8Array): void {
    const decoded = decodeMessage(subject, data, EVENTS);
    if (!decoded.ok) {
      this.telemetry.logger.warn({ subject, reason: decoded.reason }, 'run event ignored');
      return;
    }
    const payload = decoded.envelope.payload as RunEvent | TaskEvent;
    for (const listener of this.listeners.get(payload.runId) ?? []) {
      listener({ subject, type: decoded.definition.type, payload });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    for (const stop of this.stops.splice(0)) await stop();
  }

  private async subscribe(): Promise<void> {
    if (this.bus instanceof JetStreamBus) {
      const prefix = this.config.busNamespace ? `${this.config.busNamespace}.` : '';
      for (const pattern of ['aoe.evt.run.*', 'aoe.evt.task.*']) {
        const subscription = this.bus.nats.subscribe(`${prefix}${pattern}`, {
          callback: (error, msg) => {
            if (!error) this.deliver(msg.subject.slice(prefix.length), msg.data);
          },
        });
        this.stops.push(async () => subscription.unsubscribe());
      }
      await this.bus.nats.flush();
      return;
    }
    // The in-process bus (embedded mode: one process) has no core subscriptions; one consumer per pattern.
    for (const [filterSubject, definitions] of [
      ['aoe.evt.run.*', RUN_EVENTS],
      ['aoe.evt.task.*', TASK_EVENTS],
    ] as const) {
      const handle = await this.bus.subscribe({
        service: 'gateway-run-events',
        definitions,
        filterSubject,
        handler: async (message) => {
          const payload = message.payload as RunEvent | TaskEvent;
          for (const listener of this.listeners.get(payload.runId) ?? []) {
            listener({ subject: message.subject, type: message.definition.type, payload });
          }
        },
      });
      this.stops.push(() => handle.stop());
    }
  }
}
