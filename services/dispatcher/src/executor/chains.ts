import type { PipelinePlan, PlanTask } from '@aoe/contracts';

/**
 * A chain: one load task and every task upstream of it (its extract, the
 * transforms and validations between), which the engine runs as ONE stream.
 * A chain whose tasks depend on another chain's load runs after that chain.
 */
export interface Chain {
  /** The load task that ends the chain; it names the chain. */
  loadTaskId: string;
  /** The chain's tasks in dependency order: extract first, load last. */
  taskIds: string[];
  /** Load tasks of the chains that must succeed before this one starts. */
  after: string[];
  /** The plan cut down to this chain: what `taskSpecFromPlan` reads. */
  plan: PipelinePlan;
}

export interface PlanChains {
  /** In an order where every chain comes after the chains it waits for. */
  chains: Chain[];
  /** Tasks no load depends on: nothing to run for them (recorded as skipped). */
  orphans: string[];
}

/** Splits a plan into the chains the engine runs. */
export function planChains(plan: PipelinePlan): PlanChains {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const chains: Chain[] = [];
  const covered = new Set<string>();

  for (const load of plan.tasks.filter((t) => t.kind === 'load')) {
    const ordered: PlanTask[] = [];
    const after = new Set<string>();
    const visited = new Set<string>();
    const visit = (id: string): void => {
      if (visited.has(id)) return;
      visited.add(id);
      const task = byId.get(id);
      if (!task) return;
      if (task.kind === 'load' && task.id !== load.id) {
        after.add(task.id);
        return;
      }
      for (const dep of task.dependsOn) visit(dep);
      ordered.push(task);
    };
    visit(load.id);
    const ids = new Set(ordered.map((t) => t.id));
    ordered.forEach((t) => covered.add(t.id));
    chains.push({
      loadTaskId: load.id,
      taskIds: ordered.map((t) => t.id),
      after: [...after],
      plan: {
        ...plan,
        tasks: ordered.map((t) => ({ ...t, dependsOn: t.dependsOn.filter((d) => ids.has(d)) })),
      },
    });
  }

  return {
    chains: topologicalOrder(chains),
    orphans: plan.tasks.filter((t) => !covered.has(t.id)).map((t) => t.id),
  };
}

function topologicalOrder(chains: Chain[]): Chain[] {
  const byLoad = new Map(chains.map((c) => [c.loadTaskId, c]));
  const done = new Set<string>();
  const out: Chain[] = [];
  const visit = (chain: Chain): void => {
    if (done.has(chain.loadTaskId)) return;
    done.add(chain.loadTaskId);
    for (const id of chain.after) {
      const before = byLoad.get(id);
      if (before) visit(before);
    }
    out.push(chain);
  };
  chains.forEach(visit);
  return out;
}

/** The chain a task belongs to: the one it ends, or the first that contains it. */
export function chainOf(plan: PipelinePlan, taskId: string): Chain | undefined {
  const { chains } = planChains(plan);
  return chains.find((c) => c.loadTaskId === taskId) ?? chains.find((c) => c.taskIds.includes(taskId));
}
