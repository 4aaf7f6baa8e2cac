import { z } from 'zod';
import {
  AgentDecision,
  Alert,
  AnalyzeSource,
  DeadLetter,
  PlanMessage,
  RecoveryPausePipeline,
  RecoveryRetry,
  RunCancelRequested,
  RunEvent,
  RunRequested,
  SourceProfiled,
  TaskEvent,
} from './messages';

/** JetStream streams and the subjects each one stores. */
export const Streams = {
  AOE_CMD: { name: 'AOE_CMD', subjects: ['aoe.cmd.>'], description: 'commands: work one service must do' },
  AOE_EVT: { name: 'AOE_EVT', subjects: ['aoe.evt.>'], description: 'events: facts any service may react to' },
  AOE_DLQ: { name: 'AOE_DLQ', subjects: ['aoe.dlq.>'], description: 'dead letters, with the reason' },
} as const;
export type StreamName = keyof typeof Streams;

export interface MessageDefinition<P extends z.ZodType = z.ZodType> {
  /** Stable message type, carried in the envelope. */
  readonly type: string;
  /** The subject it is published on; a wildcard only for dead letters (see deadLetterSubject). */
  readonly subject: string;
  readonly stream: StreamName;
  readonly schemaVersion: number;
  readonly payload: P;
  readonly description: string;
}

function define<P extends z.ZodType>(def: MessageDefinition<P>): MessageDefinition<P> {
  return Object.freeze(def);
}

const runEvent = (status: RunEvent['status']) =>
  define({
    type: `run.${status}`,
    subject: `aoe.evt.run.${status}`,
    stream: 'AOE_EVT',
    schemaVersion: 1,
    payload: RunEvent,
    description: `a pipeline run ${status}`,
  });
const taskEvent = (status: TaskEvent['status']) =>
  define({
    type: `task.${status}`,
    subject: `aoe.evt.task.${status}`,
    stream: 'AOE_EVT',
    schemaVersion: 1,
    payload: TaskEvent,
    description: status === 'progress' ? 'rows and bytes a running task has moved' : `a task ${status}`,
  });

/** Every message of the platform: type <-> subject <-> stream <-> schema. */
export const Messages = {
  AnalyzeSource: define({
    type: 'source.analyze',
    subject: 'aoe.cmd.source.analyze',
    stream: 'AOE_CMD',
    schemaVersion: 1,
    payload: AnalyzeSource,
    description: 'profile a registered source',
  }),
  SourceProfiled: define({
    type: 'source.profiled',
    subject: 'aoe.evt.source.profiled',
    stream: 'AOE_EVT',
    schemaVersion: 1,
    payload: SourceProfiled,
    description: 'a source was profiled',
  }),
  PlanDrafted: define({
    type: 'plan.drafted',
    subject: 'aoe.evt.plan.drafted',
    stream: 'AOE_EVT',
    schemaVersion: 1,
    payload: PlanMessage,
    description: 'the planner drafted a pipeline plan',
  }),
  PlanOptimized: define({
    type: 'plan.optimized',
    subject: 'aoe.evt.plan.optimized',
    stream: 'AOE_EVT',
    schemaVersion: 1,
    payload: PlanMessage,
    description: 'the optimizer tuned a plan; it is ready to run',
  }),
  RunRequested: define({
    type: 'run.requested',
    subject: 'aoe.cmd.run.requested',
    stream: 'AOE_CMD',
    schemaVersion: 1,
    payload: RunRequested,
    description: 'start a run of a pipeline',
  }),
  RunCancelRequested: define({
    type: 'run.cancel',
    subject: 'aoe.cmd.run.cancel',
    stream: 'AOE_CMD',
    schemaVersion: 1,
    payload: RunCancelRequested,
    description: 'cancel a run',
  }),
  RecoveryRetry: define({
    type: 'recovery.retry',
    subject: 'aoe.cmd.recovery.retry',
    stream: 'AOE_CMD',
    schemaVersion: 1,
    payload: RecoveryRetry,
    description: 'run a failed run again from its checkpoint, after a delay, with recovery overrides',
  }),
  RecoveryPausePipeline: define({
    type: 'recovery.pause-pipeline',
    subject: 'aoe.cmd.recovery.pause-pipeline',
    stream: 'AOE_CMD',
    schemaVersion: 1,
    payload: RecoveryPausePipeline,
    description: 'pause a pipeline that no automatic action can heal',
  }),
  RunStarted: runEvent('started'),
  RunSucceeded: runEvent('succeeded'),
  RunFailed: runEvent('failed'),
  RunCancelled: runEvent('cancelled'),
  TaskStarted: taskEvent('started'),
  TaskProgress: taskEvent('progress'),
  TaskSucceeded: taskEvent('succeeded'),
  TaskFailed: taskEvent('failed'),
  DecisionRecorded: define({
    type: 'decision.recorded',
    subject: 'aoe.evt.decision.recorded',
    stream: 'AOE_EVT',
    schemaVersion: 1,
    payload: AgentDecision,
    description: 'an agent decided something, and why',
  }),
  AlertRaised: define({
    type: 'alert.raised',
    subject: 'aoe.evt.alert.raised',
    stream: 'AOE_EVT',
    schemaVersion: 1,
    payload: Alert,
    description: 'something about a pipeline needs attention',
  }),
  DeadLettered: define({
    type: 'dead-letter',
    subject: 'aoe.dlq.>',
    stream: 'AOE_DLQ',
    schemaVersion: 1,
    payload: DeadLetter,
    description: 'a message a service could not handle; published on aoe.dlq.<service>',
  }),
} as const;

export type MessageName = keyof typeof Messages;
export type PayloadOf<D> = D extends MessageDefinition<infer P> ? z.infer<P> : never;

export const messageCatalogue: readonly MessageDefinition[] = Object.values(Messages);

export function deadLetterSubject(service: string): string {
  return `aoe.dlq.${service.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** NATS subject matching: `*` is one token, `>` one or more trailing tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

/** The definition of the message published on a concrete subject, if the catalogue has one. */
export function definitionForSubject(subject: string): MessageDefinition | undefined {
  return messageCatalogue.find((d) => subjectMatches(d.subject, subject));
}

export function definitionForType(type: string): MessageDefinition | undefined {
  return messageCatalogue.find((d) => d.type === type);
}

export function streamForSubject(subject: string): StreamName | undefined {
  return (Object.keys(Streams) as StreamName[]).find((name) =>
    Streams[name].subjects.some((pattern) => subjectMatches(pattern, subject)),
  );
}
