import { createHash, randomUUID } from 'node:crypto';
import {
  Messages,
  PipelinePlan,
  SourceProfile,
  TargetSpec,
  type DeadLetter,
  type Envelope,
  type LoadMode,
  type PlanMessage,
  type RunEvent,
  type SourceProfiled,
  type SourceSpec,
  type TaskEvent,
} from '@aoe/contracts';
import type { PipelineRecord, RunRecord, SourceRecord } from '@aoe/store';
import { CliError, ExitCode, oneLine } from '../errors';
import type { Embedded } from './platform';
import type { BusWatcher } from './watcher';

/** How long analysis and planning may take before the CLI gives up (AOE_FLOW_TIMEOUT_MS). */
const DEFAULT_FLOW_TIMEOUT_MS = 10 * 60_000;

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const short = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);

/** A readable, unique name for a source: where it is, without credentials. */
export function sourceName(spec: SourceSpec): string {
  const name = ((): string => {
    switch (spec.kind) {
      case 'file':
        return `file:${spec.path}`;
      case 's3':
        return `s3://${spec.bucket}/${spec.glob ?? spec.prefix}`;
      case 'postgres': {
        const where = spec.table ? `${spec.table.schema}.${spec.table.name}` : `query:${short(spec.query ?? '')}`;
        const url =
          spec.connection.url ??
          `postgres://${spec.connection.host}:${spec.connection.port ?? 5432}/${spec.connection.database ?? ''}`;
        return `${url.replace(/:[^:@/]*@/, '@')}#${where}`;
      }
      case 'http-api':
        return spec.url;
    }
  })();
  return name.length <= 200 ? name : `${name.slice(0, 190)}~${short(name)}`;
}

/** The message of a dead letter, without the bus's wrapping. */
export function deadLetterReason(letter: DeadLetter): string {
  return oneLine(
    letter.reason
      .replace(/^handler refused the message as non-retryable: /, '')
      .replace(/^handler failed on all \d+ deliveries; last error: /, '')
      .replace(/^[A-Za-z]+Error: /, ''),
  );
}

export interface RunWatch {
  onTask?: (event: TaskEvent) => void;
  /** Resolves when the user asks to stop: the run is cancelled, then awaited. */
  interrupted?: Promise<void>;
}

/**
 * The agent flow over the embedded bus, as `aoe` drives it: register the
 * source and the pipeline, ask for an analysis, wait for the profile and the
 * optimized plan, request the run and follow it to its end. Everything it
 * waits for arrives as bus events; a dead letter of the flow ends it with the
 * letter's reason.
 */
export class AgentFlow {
  private readonly timeoutMs: number;

  constructor(
    private readonly embedded: Embedded,
    private readonly watcher: BusWatcher,
    env: NodeJS.ProcessEnv,
  ) {
    this.timeoutMs = Number(env.AOE_FLOW_TIMEOUT_MS ?? DEFAULT_FLOW_TIMEOUT_MS);
  }

  get store() {
    return this.embedded.store;
  }

  /** The source registered under this name with this spec, or a new one. */
  async registerSource(spec: SourceSpec): Promise<SourceRecord> {
    const name = sourceName(spec);
    const same = (record: SourceRecord | undefined) => record && stableJson(record.spec) === stableJson(spec);
    const existing = await this.store.sources.getByName(name);
    if (same(existing)) return existing!;
    const alternative = `${name.slice(0, 190)}~${short(stableJson(spec))}`;
    const other = await this.store.sources.getByName(alternative);
    if (same(other)) return other!;
    return this.store.sources.create({ name: existing ? alternative : name, spec });
  }

  /** The pipeline from this source into this target: the one already there, or a new one. */
  async pipelineFor(source: SourceRecord, target: TargetSpec, label: string): Promise<PipelineRecord> {
    const wanted = stableJson(TargetSpec.parse(target));
    let cursor: string | undefined;
    do {
      const page = await this.store.pipelines.list({ sourceId: source.id, limit: 500, cursor });
      const found = page.items.find((p) => stableJson(p.target) === wanted);
      if (found) return found;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return this.store.pipelines.create({
      sourceId: source.id,
      name: `${source.name} -> ${label}`.slice(0, 250),
      target,
    });
  }

  /** Profiles the source (no pipeline: nothing is planned). */
  async analyze(source: SourceRecord, correlationId: string = randomUUID()): Promise<SourceProfile> {
    const profiled = this.watcher.next(
      (envelope, subject) => {
        this.failOnDeadLetter(envelope, subject, correlationId);
        return subject === Messages.SourceProfiled.subject && envelope.correlationId === correlationId
          ? SourceProfile.parse((envelope.payload as SourceProfiled).profile)
          : undefined;
      },
      this.timeoutMs,
      'the source analysis',
    );
    await this.embedded.bus.publish(
      Messages.AnalyzeSource,
      { sourceId: source.id, spec: source.spec },
      { correlationId },
    );
    return profiled;
  }

  /** Analyses the source for the pipeline; the planner drafts, the optimizer tunes: the optimized plan. */
  async plan(
    source: SourceRecord,
    pipeline: PipelineRecord,
    correlationId: string,
    onStep?: (step: string) => void,
  ): Promise<PipelinePlan> {
    const off = this.watcher.on((envelope, subject) => {
      if (envelope.correlationId !== correlationId) return;
      if (subject === Messages.SourceProfiled.subject) onStep?.('source profiled; planning');
      if (subject === Messages.PlanDrafted.subject) onStep?.('plan drafted; tuning');
    });
    try {
      const optimized = this.watcher.next(
        (envelope, subject) => {
          this.failOnDeadLetter(envelope, subject, correlationId);
          if (subject !== Messages.PlanOptimized.subject || envelope.correlationId !== correlationId) return undefined;
          const plan = PipelinePlan.parse((envelope.payload as PlanMessage).plan);
          return plan.pipelineId === pipeline.id ? plan : undefined;
        },
        this.timeoutMs,
        'the plan',
      );
      await this.embedded.bus.publish(
        Messages.AnalyzeSource,
        {
          sourceId: source.id,
          spec: source.spec,
          pipeline: { pipelineId: pipeline.id, target: pipeline.target, policy: pipeline.policy },
        },
        { correlationId },
      );
      return await optimized;
    } finally {
      off();
    }
  }

  /**
   * The user's `--mode` over the agents' choice: a new plan version with that
   * load mode (a full read for `replace`, which would otherwise drop the rows
   * an incremental read skips; the key the profile found for `merge`).
   */
  async overrideMode(plan: PipelinePlan, mode: LoadMode, profile: SourceProfile | undefined): Promise<PipelinePlan> {
    const loads = plan.tasks.filter((t) => t.kind === 'load');
    const needsChange =
      loads.some((t) => t.params.mode !== mode) ||
      (mode === 'replace' && plan.tasks.some((t) => t.kind === 'extract' && t.params.mode === 'incremental'));
    if (!needsChange) return plan;
    const key = loads.find((t) => t.params.primaryKey)?.params.primaryKey ?? profile?.primaryKeyCandidates[0];
    if (mode === 'merge' && !key) {
      throw new CliError(
        '--mode merge needs a primary key, and the source has no key candidate; use append or replace',
        ExitCode.usage,
      );
    }
    const tasks = plan.tasks.map((task) => {
      if (task.kind === 'load') {
        return { ...task, params: { ...task.params, mode, ...(mode === 'merge' ? { primaryKey: key } : {}) } };
      }
      if (task.kind === 'extract' && mode === 'replace') {
        const { cursorColumn: _cursor, ...params } = task.params;
        return { ...task, params: { ...params, mode: 'full' as const } };
      }
      return task;
    });
    return this.store.transaction(async (tx) => {
      const version = overrideVersion(await tx.plans.nextVersion(plan.pipelineId), plan);
      const next = PipelinePlan.parse({ ...plan, tasks, version, createdAt: new Date().toISOString() });
      await tx.plans.save(next);
      await tx.pipelines.setCurrentPlanVersion(next.pipelineId, next.version);
      return next;
    });
  }

  /** Requests the run and follows it to its end; an interrupt cancels it first. */
  async run(
    plan: PipelinePlan,
    runId: string,
    watch: RunWatch = {},
  ): Promise<{ run: RunRecord; interrupted: boolean }> {
    const off = this.watcher.on((envelope, subject) => {
      if (!subject.startsWith('aoe.evt.task.')) return;
      const event = envelope.payload as TaskEvent;
      if (event.runId === runId) watch.onTask?.(event);
    });
    let interrupted = false;
    try {
      const ended = this.watcher.next(
        (envelope, subject) => {
          this.failOnDeadLetter(envelope, subject, runId);
          if (!subject.startsWith('aoe.evt.run.')) return undefined;
          const event = envelope.payload as RunEvent;
          return event.runId === runId && event.status !== 'started' ? event : undefined;
        },
        2 ** 31 - 1,
        'the run',
      );
      void watch.interrupted?.then(async () => {
        interrupted = true;
        await this.embedded.bus
          .publish(Messages.RunCancelRequested, { runId, reason: 'interrupted (Ctrl-C)' }, { correlationId: runId })
          .catch(() => undefined);
      });
      await this.embedded.bus.publish(
        Messages.RunRequested,
        { runId, pipelineId: plan.pipelineId, planVersion: plan.version, trigger: 'manual', requestedBy: 'aoe-cli' },
        { correlationId: runId },
      );
      await ended;
    } finally {
      off();
    }
    const run = await this.store.runs.get(runId);
    if (!run) throw new CliError(`run ${runId} is not in the store`);
    return { run, interrupted };
  }

  private failOnDeadLetter(envelope: Envelope<unknown>, subject: string, correlationId: string): void {
    if (!subject.startsWith('aoe.dlq.') || envelope.correlationId !== correlationId) return;
    throw new CliError(deadLetterReason(envelope.payload as DeadLetter), ExitCode.failed);
  }
}

/**
 * The version of a plan that overrides the optimized one: the next free
 * number, but never the optimized plan's own. The dispatcher may still be
 * storing the optimized plan under its number when the override is made (it
 * activates the plan on the same event the CLI waits for), and the two must
 * not collide.
 */
export function overrideVersion(nextFree: number, optimized: PipelinePlan): number {
  return Math.max(nextFree, optimized.version + 1);
}
