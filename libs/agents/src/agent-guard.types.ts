import type { AgentDecision } from '@aoe/contracts';

/**
 * The decision interface every agent uses (DESIGN.md, "Agents and the LLM").
 * A rules brain always exists and is the default; a model brain may propose.
 * The guard validates and bounds every proposal, falls back to rules on any
 * error or rejection, caches by input digest, and records an AgentDecision.
 */

export type AgentName = AgentDecision['agent'];

export interface Proposal<T> {
  value: T;
  /** Why, in words a person reads in `aoe decisions`. */
  rationale: string;
  /** Tokens the model used, when a model decided. */
  tokens?: number;
}

export interface Brain<I, T> {
  readonly kind: 'rules' | 'model';
  /** `rules` or the model's name. */
  readonly name: string;
  /** A model's own budgets (from its configuration); the request's override them, they override the guard's. */
  readonly budget?: Partial<DecisionBudget>;
  propose(input: I, signal: AbortSignal): Promise<Proposal<T>>;
}

/** A proposal's check: accepted, or the reasons it is not allowed. */
export type Verdict = { ok: true } | { ok: false; reasons: string[] };

export interface DecideRequest<I, T> {
  agent: AgentName;
  /** The pipeline, run or source the decision is about. */
  subjectId: string;
  correlationId?: string;
  input: I;
  rules: Brain<I, T>;
  model?: Brain<I, T>;
  /**
   * Contract, allowed operations and columns, bounds: anything else is rejected.
   * For a model's proposal, `baseline` is the rules brain's value for the same
   * input, so a check can insist that the model keeps what rules require.
   */
  validate(input: I, value: T, baseline?: T): Verdict;
  /** The choice as stored in the AgentDecision (a JSON object). */
  describe(value: T): Record<string, unknown>;
  /**
   * The value back from a stored choice (the inverse of `describe`), or
   * undefined when it cannot be rebuilt. With it, the guard reuses an accepted
   * model decision from the store (other replicas, earlier processes).
   */
  restore?(choice: Record<string, unknown>): T | undefined;
  /** Overrides the guard's budgets for this decision. */
  budget?: Partial<DecisionBudget>;
  /** The caller's cancellation: an abort is thrown, not a fallback. */
  signal?: AbortSignal;
}

/** What a model may spend on one proposal. */
export interface DecisionBudget {
  /** Wall time for the model's answer, in milliseconds. */
  timeMs: number;
  /** Tokens (prompt and completion) the model may use. */
  tokens: number;
}

export interface DecideResult<T> {
  value: T;
  /** The decision that was used (accepted). Rejected model proposals are recorded too. */
  decision: AgentDecision;
  /** True when the value came from the cache (no brain was asked). */
  cached?: boolean;
  /** The model's rejected proposal, when the model was asked and the rules value is used instead. */
  rejected?: AgentDecision;
}

export interface AgentGuardApi {
  decide<I, T>(request: DecideRequest<I, T>): Promise<DecideResult<T>>;
}

/** Where decisions go: the store and the bus (`aoe.evt.decision.recorded`). */
export interface DecisionSink {
  record(decision: AgentDecision): Promise<void>;
}
