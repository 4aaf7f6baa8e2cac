import type { Alert } from '@aoe/contracts';
import type { Brain, Proposal, Verdict } from '@aoe/agents';
import type { Finding } from '../detection/finding';

/** The monitor's judgement of a finding: whether it becomes an alert, and how loud. */
export interface AlertJudgement {
  raise: boolean;
  severity: Alert['severity'];
  message: string;
}

function severityOf(finding: Finding): Alert['severity'] {
  switch (finding.kind) {
    case 'schema-drift':
    case 'freshness':
    case 'volume-drop':
    case 'duration-spike':
    case 'null-rate-jump':
      return finding.score >= 2 ? 'critical' : 'warning';
    case 'volume-spike':
    case 'failure-trend':
    case 'run-failed':
    case 'needs-attention':
      return 'warning';
  }
}

/**
 * Rules: a detector's finding crossed a band of the pipeline's own history,
 * so it is raised; twice past the band (or, for schema drift, a removed or
 * retyped column) is critical.
 */
export class RulesMonitorBrain implements Brain<Finding, AlertJudgement> {
  readonly kind = 'rules' as const;
  readonly name = 'rules';

  async propose(finding: Finding): Promise<Proposal<AlertJudgement>> {
    const severity = severityOf(finding);
    return {
      value: { raise: true, severity, message: finding.summary },
      rationale: `${finding.kind}: ${finding.summary} Raised as ${severity} (score ${finding.score.toFixed(2)}: 1 is the edge of the band from this pipeline's own history, 2 or more is critical).`,
    };
  }
}

export function checkJudgement(finding: Finding, judgement: AlertJudgement): Verdict {
  const reasons: string[] = [];
  if (!['info', 'warning', 'critical'].includes(judgement.severity)) reasons.push('unknown severity');
  if (judgement.message.trim().length === 0) reasons.push('empty message');
  if (judgement.raise && finding.kind !== 'freshness' && !finding.runId) reasons.push('an alert about a run names it');
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/** The choice as stored in the decision: the judgement and the detector's evidence. */
export function describeJudgement(finding: Finding): (judgement: AlertJudgement) => Record<string, unknown> {
  return (judgement) => ({
    ...judgement,
    kind: finding.kind,
    runId: finding.runId ?? null,
    score: Math.round(finding.score * 1000) / 1000,
    evidence: finding.evidence,
  });
}
