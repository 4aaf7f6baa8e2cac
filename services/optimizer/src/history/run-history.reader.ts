import { Injectable } from '@nestjs/common';
import type { PipelinePlan, SourceProfile } from '@aoe/contracts';
import { Store } from '@aoe/store';
import { observationOf, throughput, type RunObservation } from '../tuning/run-observation';
import { similarProfiles } from '../tuning/similar-profile';

/** How much history is read: this pipeline's latest runs, and when they are few, other pipelines'. */
export const OWN_RUNS = 100;
export const MIN_OWN_RUNS = 3;
export const OTHER_PIPELINES = 50;
export const RUNS_PER_OTHER_PIPELINE = 20;

/**
 * Reads what the optimizer learns from: the pipeline's finished runs (with the
 * extract mode of the plan version each used) and, while the pipeline has
 * fewer than MIN_OWN_RUNS runs with a throughput, succeeded runs of recent
 * pipelines whose latest profile is similar.
 */
@Injectable()
export class RunHistoryReader {
  constructor(private readonly store: Store) {}

  async read(plan: PipelinePlan, profile: SourceProfile | undefined): Promise<RunObservation[]> {
    const own = await this.ownRuns(plan.pipelineId);
    if (!profile || own.filter((o) => throughput(o) !== undefined).length >= MIN_OWN_RUNS) return own;
    return [...own, ...(await this.similarRuns(plan.pipelineId, profile))];
  }

  private async ownRuns(pipelineId: string): Promise<RunObservation[]> {
    const runs = (await this.store.runs.list({ pipelineId, status: ['succeeded', 'failed'], limit: OWN_RUNS })).items;
    const modes = await this.extractModes(
      pipelineId,
      new Set(runs.flatMap((r) => (r.planVersion === undefined ? [] : [r.planVersion]))),
    );
    return runs.flatMap((run) => {
      const observation = observationOf(
        run,
        true,
        run.planVersion === undefined ? undefined : modes.get(run.planVersion),
      );
      return observation ? [observation] : [];
    });
  }

  /** The extract mode of each plan version these runs used: one query, from the oldest of them up. */
  private async extractModes(
    pipelineId: string,
    versions: ReadonlySet<number>,
  ): Promise<Map<number, 'full' | 'incremental' | undefined>> {
    if (versions.size === 0) return new Map();
    return this.store.plans.extractModes(pipelineId, Math.min(...versions));
  }

  private async similarRuns(pipelineId: string, profile: SourceProfile): Promise<RunObservation[]> {
    const pipelines = (await this.store.pipelines.list({ limit: OTHER_PIPELINES })).items.filter(
      (p) => p.id !== pipelineId,
    );
    // Reads issued together, a round of profiles then one of runs: one round trip each to an embedded store.
    const sources = [...new Set(pipelines.map((p) => p.sourceId))];
    const latest = await Promise.all(sources.map((id) => this.store.profiles.latest(id)));
    const profiles = new Map(sources.map((id, i) => [id, latest[i]?.profile]));
    const similar = pipelines.filter((p) => {
      const other = profiles.get(p.sourceId);
      return other !== undefined && similarProfiles(profile, other);
    });
    const runs = await Promise.all(
      similar.map((p) =>
        this.store.runs.list({ pipelineId: p.id, status: 'succeeded', limit: RUNS_PER_OTHER_PIPELINE }),
      ),
    );
    return runs.flatMap((page) => page.items.flatMap((run) => observationOf(run, false) ?? []));
  }
}
