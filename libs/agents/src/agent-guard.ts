import { randomUUID } from 'node:crypto';
import { AgentDecision } from '@aoe/contracts';
import type { Clock } from '@aoe/store';
import { scrubText } from '@aoe/telemetry';
import { DecisionNotRecordedError, RulesDecisionInvalidError } from './agent-guard.errors';
import type {
  AgentGuardApi,
  Brain,
  DecideRequest,
  DecideResult,
  DecisionBudget,
  DecisionSink,
  Proposal,
} from './agent-guard.types';
import { inputDigest } from './input-digest';
import { LruCache } from './lru-cache';

/** Earlier decisions: `DecisionRepository` satisfies it. */
export interface DecisionHistory {
  latestForInput(agent: AgentDecision['agent'], inputDigest: string): Promise<AgentDecision | undefined>;
}

/** The part of a pino logger the guard uses. */
export interface GuardLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface AgentGuardOptions {
  /** Where every decision goes (store, bus). None: decisions are only returned. */
  sinks?: readonly DecisionSink[];
  clock?: Clock;
  /** Accepted decisions already stored: reused across replicas and restarts (needs `restore` on the request). */
  history?: DecisionHistory;
  /** Decisions kept in memory, by (agent, input digest, brain). Default 500; 0 turns the cache off. */
  cacheSize?: number;
  /** Default budgets for a model's proposal. */
  budget?: Partial<DecisionBudget>;
  /** Decision ids; random UUIDs by default. */
  newId?: () => string;
  logger?: GuardLogger;
}

export const DEFAULT_BUDGET: DecisionBudget = { timeMs: 20_000, tokens: 20_000 };
const DEFAULT_CACHE_SIZE = 500;
const MAX_REASON_LENGTH = 2_000;

interface CacheEntry {
  value: unknown;
  decision: AgentDecision;
}

type Outcome<T> = DecideResult<T>;

/**
 * Every agent decision goes through here (DESIGN.md, "Agents and the LLM").
 *
 * 1. The input is digested (sha256 of canonical JSON). A decision for the same
 *    agent, digest and preferred brain is reused from memory (or, with
 *    `history` and `restore`, from the store) without asking any brain.
 * 2. The rules brain proposes; its value must pass `validate` (else a bug: thrown).
 * 3. With a model brain, the model proposes within the time and token budgets;
 *    `validate(input, value, rulesValue)` must accept it. Otherwise the model's
 *    proposal is recorded as rejected, with the reason, and the rules value is used.
 * 4. The decision used is recorded through every sink before it is returned.
 */
export class AgentGuard implements AgentGuardApi {
  private readonly sinks: readonly DecisionSink[];
  private readonly clock: Clock;
  private readonly budget: DecisionBudget;
  private readonly cache: LruCache<string, CacheEntry>;
  private readonly inFlight = new Map<string, Promise<CacheEntry>>();
  private readonly newId: () => string;

  constructor(private readonly options: AgentGuardOptions = {}) {
    this.sinks = options.sinks ?? [];
    this.clock = options.clock ?? { now: () => new Date() };
    this.budget = { ...DEFAULT_BUDGET, ...options.budget };
    this.cache = new LruCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
    this.newId = options.newId ?? randomUUID;
  }

  async decide<I, T>(request: DecideRequest<I, T>): Promise<DecideResult<T>> {
    request.signal?.throwIfAborted();
    const started = this.clock.now().getTime();
    const digest = inputDigest(request.input);
    const preferred: Brain<I, T> = request.model ?? request.rules;
    const key = `${request.agent}\u0000${digest}\u0000${preferred.kind}:${preferred.name}`;

    const hit = this.cache.get(key);
    if (hit) return this.reuse(request, hit, started);

    const running = this.inFlight.get(key);
    if (running) return this.reuse(request, await running, started);

    const decided = this.decideAfresh(request, digest, started);
    const entry = decided.then(({ decision, value }): CacheEntry => ({ decision, value: structuredClone(value) }));
    entry.catch(() => undefined); // a failure reaches the caller through `decided`
    this.inFlight.set(key, entry);
    try {
      const outcome = await decided;
      if (outcome.decision.decidedBy === preferred.kind) this.cache.set(key, await entry);
      return outcome;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Forgets every cached decision (tests, or after a rules change at run time). */
  clearCache(): void {
    this.cache.clear();
  }

  private async decideAfresh<I, T>(request: DecideRequest<I, T>, digest: string, started: number): Promise<Outcome<T>> {
    const rules = await request.rules.propose(request.input, request.signal ?? new AbortController().signal);
    const rulesVerdict = request.validate(request.input, rules.value);
    if (!rulesVerdict.ok) throw new RulesDecisionInvalidError(request.agent, rulesVerdict.reasons);

    const useRules = async (fallbackNote?: string, rejected?: AgentDecision): Promise<Outcome<T>> => {
      const decision = this.decision(request, digest, started, {
        decidedBy: 'rules',
        choice: request.describe(rules.value),
        rationale: fallbackNote ? `${rules.rationale} (${fallbackNote})` : rules.rationale,
        accepted: true,
      });
      await this.record(decision);
      return { value: rules.value, decision, cached: false, ...(rejected ? { rejected } : {}) };
    };

    const model = request.model;
    if (!model) return useRules();

    const stored = await this.fromHistory(request, digest, model, rules.value);
    if (stored) return this.reuse(request, stored, started);

    const proposed = await this.askModel(request, model, rules.value);
    if (proposed.ok) {
      const decision = this.decision(request, digest, started, {
        decidedBy: 'model',
        model: model.name,
        choice: request.describe(proposed.proposal.value),
        rationale: proposed.proposal.rationale,
        accepted: true,
      });
      await this.record(decision);
      return { value: proposed.proposal.value, decision, cached: false };
    }

    const reason = truncate(proposed.reason);
    const rejected = this.decision(request, digest, started, {
      decidedBy: 'model',
      model: model.name,
      choice: proposed.proposal ? safeDescribe(request, proposed.proposal.value) : {},
      rationale: proposed.proposal?.rationale ?? '',
      accepted: false,
      rejectionReason: reason,
    });
    this.options.logger?.warn(
      { agent: request.agent, subjectId: request.subjectId, model: model.name, decisionId: rejected.id, reason },
      'model proposal rejected; using the rules decision',
    );
    await this.record(rejected);
    return useRules(`model ${model.name} was not used: ${reason}`, rejected);
  }

  private async askModel<I, T>(
    request: DecideRequest<I, T>,
    model: Brain<I, T>,
    baseline: T,
  ): Promise<{ ok: true; proposal: Proposal<T> } | { ok: false; reason: string; proposal?: Proposal<T> }> {
    const budget = { ...this.budget, ...model.budget, ...request.budget };
    const timeout = AbortSignal.timeout(budget.timeMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;

    let proposal: Proposal<T>;
    try {
      proposal = await untilAborted(model.propose(request.input, signal), signal);
    } catch (error) {
      request.signal?.throwIfAborted();
      if (timeout.aborted) return { ok: false, reason: `no answer within the time budget of ${budget.timeMs} ms` };
      return { ok: false, reason: `the model failed: ${scrubText(errorMessage(error))}` };
    }

    if (proposal.tokens !== undefined && proposal.tokens > budget.tokens) {
      return {
        ok: false,
        reason: `the model used ${proposal.tokens} tokens; the budget is ${budget.tokens}`,
        proposal,
      };
    }
    try {
      const verdict = request.validate(request.input, proposal.value, baseline);
      if (!verdict.ok) return { ok: false, reason: `not allowed: ${verdict.reasons.join('; ')}`, proposal };
      // The choice must be describable before the proposal is used.
      request.describe(proposal.value);
    } catch (error) {
      return { ok: false, reason: `not allowed: ${scrubText(errorMessage(error))}`, proposal };
    }
    return { ok: true, proposal };
  }

  private async fromHistory<I, T>(
    request: DecideRequest<I, T>,
    digest: string,
    model: Brain<I, T>,
    baseline: T,
  ): Promise<CacheEntry | undefined> {
    const { history, logger } = this.options;
    if (!history || !request.restore) return undefined;
    try {
      const stored = await history.latestForInput(request.agent, digest);
      if (!stored || stored.decidedBy !== 'model' || stored.model !== model.name || !stored.accepted) return undefined;
      const value = request.restore(stored.choice);
      if (value === undefined || !request.validate(request.input, value, baseline).ok) return undefined;
      return { value, decision: stored };
    } catch (error) {
      logger?.warn({ agent: request.agent, error: scrubText(errorMessage(error)) }, 'decision history lookup failed');
      return undefined;
    }
  }

  /** A cached decision: the same one for the same subject, else a new record saying what was reused. */
  private async reuse<I, T>(
    request: DecideRequest<I, T>,
    entry: CacheEntry,
    started: number,
  ): Promise<DecideResult<T>> {
    const value = structuredClone(entry.value) as T;
    const previous = entry.decision;
    if (previous.subjectId === request.subjectId && previous.correlationId === request.correlationId) {
      return { value, decision: previous, cached: true };
    }
    const decision = this.decision(request, previous.inputDigest, started, {
      decidedBy: previous.decidedBy,
      model: previous.model,
      choice: previous.choice,
      rationale: `${previous.rationale} (reused decision ${previous.id}: same input)`,
      accepted: true,
    });
    await this.record(decision);
    return { value, decision, cached: true };
  }

  private decision<I, T>(
    request: DecideRequest<I, T>,
    digest: string,
    started: number,
    fields: Pick<AgentDecision, 'decidedBy' | 'choice' | 'rationale' | 'accepted'> &
      Partial<Pick<AgentDecision, 'model' | 'rejectionReason'>>,
  ): AgentDecision {
    const now = this.clock.now();
    return AgentDecision.parse({
      id: this.newId(),
      agent: request.agent,
      subjectId: request.subjectId,
      ...(request.correlationId !== undefined ? { correlationId: request.correlationId } : {}),
      inputDigest: digest,
      ...fields,
      latencyMs: Math.max(0, now.getTime() - started),
      at: now.toISOString(),
    });
  }

  private async record(decision: AgentDecision): Promise<void> {
    const results = await Promise.allSettled(this.sinks.map((sink) => sink.record(decision)));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length > 0) throw new DecisionNotRecordedError(decision.id, failures);
  }
}

/** Rejects as soon as the signal aborts, whether or not the brain honours it. */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function safeDescribe<I, T>(request: DecideRequest<I, T>, value: T): Record<string, unknown> {
  try {
    return request.describe(value);
  } catch {
    return { undescribable: true };
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function truncate(text: string): string {
  return text.length <= MAX_REASON_LENGTH ? text : `${text.slice(0, MAX_REASON_LENGTH - 1)}…`;
}
