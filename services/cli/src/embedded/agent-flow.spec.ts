import type { PipelinePlan } from '@aoe/contracts';
import { overrideVersion } from './agent-flow';

describe('overrideVersion', () => {
  const optimized = { version: 2 } as PipelinePlan;

  it("never takes the optimized plan's own number, which the dispatcher may be storing meanwhile", () => {
    // The planner's draft is version 1; the optimized plan (2) is not stored yet.
    expect(overrideVersion(2, optimized)).toBe(3);
  });

  it('takes the next free number once the optimized plan is stored, or later ones are', () => {
    expect(overrideVersion(3, optimized)).toBe(3);
    expect(overrideVersion(7, optimized)).toBe(7);
  });
});
