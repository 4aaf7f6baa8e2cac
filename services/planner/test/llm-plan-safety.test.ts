import type { PipelinePlan } from '@aoe/contracts';
import { planFromProfile } from '../src/rules/rules-planner';
import { validatePlanSafety } from '../src/llm';
import { corpusInputs } from './llm-fixtures';

describe('validatePlanSafety on the rules planner’s corpus', () => {
  it.each(corpusInputs().map(({ name, input }) => [name, input] as const))(
    'accepts the rules plan for %s',
    (_name, input) => {
      const { plan } = planFromProfile(input);
      expect(validatePlanSafety(input, plan)).toEqual({ ok: true });
      expect(validatePlanSafety(input, plan, plan)).toEqual({ ok: true });
      const copy = JSON.parse(JSON.stringify(plan)) as PipelinePlan;
      expect(validatePlanSafety(input, { ...copy, createdBy: 'model' }, plan)).toEqual({ ok: true });
    },
  );
});
