import { NonRetryableError } from '@aoe/messaging';

/**
 * The rules brain proposed something its own validation refuses. Rules are the
 * fallback of last resort, so this is a bug: it is not retried (the message is
 * dead-lettered with this reason).
 */
export class RulesDecisionInvalidError extends NonRetryableError {
  override readonly name = 'RulesDecisionInvalidError';
  readonly code = 'AGENT_RULES_INVALID';
  constructor(
    readonly agent: string,
    readonly reasons: readonly string[],
  ) {
    super(`the ${agent} rules brain proposed a value its validation refuses (a bug): ${reasons.join('; ')}`);
  }
}

/** A decision could not be recorded by every sink; the guard never hands out an unrecorded decision. */
export class DecisionNotRecordedError extends Error {
  override readonly name = 'DecisionNotRecordedError';
  readonly code = 'AGENT_DECISION_NOT_RECORDED';
  constructor(
    readonly decisionId: string,
    readonly causes: readonly unknown[],
  ) {
    super(
      `decision ${decisionId} was not recorded: ${causes.map((c) => (c instanceof Error ? c.message : String(c))).join('; ')}`,
    );
  }
}
