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
  /** Contract, allowed operations and columns, bounds: anything else is rejected. */
  validate(input: I, value: T): Verdict;
  /** The choice as stored in the AgentDecision (a JSON object). */
  describe(value: T): Record<string, unknown>;
}

export interface DecideResult<T> {
  value: T;
  /** The decision that was used (accepted). Rejected model proposals are recorded too. */
  decision: AgentDecision;
}

export interface AgentGuardApi {
  decide<I, T>(request: DecideRequest<I, T>): Promise<DecideResult<T>>;
}

/** Where decisions go: the store and the bus (`aoe.evt.decision.recorded`). */
export interface DecisionSink {
  record(decision: AgentDecision): Promise<void>;
}
