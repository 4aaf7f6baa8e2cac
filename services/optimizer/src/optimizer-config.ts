import { z } from 'zod';

const Environment = z.object({
  /** Share of optimizations (0..1) that try a neighbour of the best observed setting. */
  AOE_OPTIMIZER_EXPLORATION: z.coerce.number().min(0).max(1).default(0.2),
  /** Prefix of every exploration seed: change it to draw differently; keep it to replay decisions. */
  AOE_OPTIMIZER_SEED: z.string().default('aoe'),
});

/** How the optimizer explores; read from the environment once, injectable by class. */
export class OptimizerConfig {
  constructor(
    readonly explorationRate: number = 0.2,
    readonly seed: string = 'aoe',
  ) {}

  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): OptimizerConfig {
    const parsed = Environment.safeParse(env);
    if (!parsed.success) {
      throw new Error(
        `invalid optimizer environment: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`,
      );
    }
    return new OptimizerConfig(parsed.data.AOE_OPTIMIZER_EXPLORATION, parsed.data.AOE_OPTIMIZER_SEED);
  }
}
