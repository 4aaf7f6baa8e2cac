import type { z } from 'zod';
import type {
  AirflowApiVersion,
  AirflowClient,
  AirflowDag,
  AirflowDagInfo,
  AirflowDagRun,
  AirflowTaskInstance,
  ClearedTaskInstance,
  ClearTaskInstancesOptions,
  DagRunPatchState,
  FollowDagRunOptions,
  FollowDagRunResult,
  RequestOptions,
  TriggerDagRunOptions,
} from './airflow.client';
import type { AirflowAuth } from './airflow.auth';
import { AirflowAuthError, AirflowProtocolError } from './airflow.errors';
import { segment, type AirflowHttp, type AirflowHttpRequest } from './airflow.transport';
import { followDagRun } from './follow-dag-run';

/** Page size when listing task instances. */
export const TASK_INSTANCE_PAGE_SIZE = 100;

/** One page of task instances, as each API version's schema maps it. */
export interface TaskInstancePage {
  items: AirflowTaskInstance[];
  total: number;
}

/**
 * What the v2 and v1 clients share: authenticated calls with one renewal after
 * a 401, reading runs and their task instances, and following a run. Each
 * version supplies its path prefix and the response schemas, which map the
 * version's shapes onto the client's types.
 */
export abstract class AirflowRestClient implements AirflowClient {
  abstract readonly apiVersion: AirflowApiVersion;
  protected abstract readonly apiPrefix: '/api/v1' | '/api/v2';
  protected abstract readonly dagRunSchema: z.ZodType<AirflowDagRun>;
  protected abstract readonly taskInstancePageSchema: z.ZodType<TaskInstancePage>;

  constructor(
    protected readonly http: AirflowHttp,
    protected readonly auth: AirflowAuth,
  ) {}

  abstract getDagInfo(dagId: string, options?: RequestOptions): Promise<AirflowDagInfo>;
  abstract pauseDag(dagId: string, options?: RequestOptions): Promise<AirflowDag>;
  abstract unpauseDag(dagId: string, options?: RequestOptions): Promise<AirflowDag>;
  abstract triggerDagRun(dagId: string, options?: TriggerDagRunOptions): Promise<AirflowDagRun>;
  abstract clearFailedTaskInstances(
    dagId: string,
    dagRunId: string,
    options?: ClearTaskInstancesOptions,
  ): Promise<ClearedTaskInstance[]>;

  protected dagPath(dagId: string): string {
    return `${this.apiPrefix}/dags/${segment(dagId)}`;
  }

  async getDag(dagId: string, options: RequestOptions = {}): Promise<AirflowDag> {
    const { dagId: id, isPaused } = await this.getDagInfo(dagId, options);
    return { dagId: id, isPaused };
  }

  /** The same body in both versions: `DAGRunPatchBody` (v2) and `UpdateDagRunState` (v1) both take `state`. */
  setDagRunState(
    dagId: string,
    dagRunId: string,
    state: DagRunPatchState,
    options: RequestOptions = {},
  ): Promise<AirflowDagRun> {
    return this.call(
      {
        method: 'PATCH',
        path: `${this.dagPath(dagId)}/dagRuns/${segment(dagRunId)}`,
        body: { state },
        signal: options.signal,
      },
      this.dagRunSchema,
    );
  }

  getDagRun(dagId: string, dagRunId: string, options: RequestOptions = {}): Promise<AirflowDagRun> {
    return this.call(
      { method: 'GET', path: `${this.dagPath(dagId)}/dagRuns/${segment(dagRunId)}`, signal: options.signal },
      this.dagRunSchema,
    );
  }

  async listTaskInstances(
    dagId: string,
    dagRunId: string,
    options: RequestOptions = {},
  ): Promise<AirflowTaskInstance[]> {
    const all: AirflowTaskInstance[] = [];
    for (;;) {
      const page = await this.call(
        {
          method: 'GET',
          path: `${this.dagPath(dagId)}/dagRuns/${segment(dagRunId)}/taskInstances`,
          query: { limit: TASK_INSTANCE_PAGE_SIZE, offset: all.length },
          signal: options.signal,
        },
        this.taskInstancePageSchema,
      );
      all.push(...page.items);
      if (page.items.length === 0 || all.length >= page.total) return all;
    }
  }

  followDagRun(dagId: string, dagRunId: string, options?: FollowDagRunOptions): Promise<FollowDagRunResult> {
    return followDagRun(this, dagId, dagRunId, options);
  }

  /** Sends an authenticated request; after a 401 renews the credentials once and retries. */
  protected async call<T>(request: AirflowHttpRequest, schema: z.ZodType<T>): Promise<T> {
    const first = await this.auth.authorization(request.signal);
    let body: unknown;
    try {
      body = await this.http.send(request, first);
    } catch (error) {
      if (!(error instanceof AirflowAuthError) || !(await this.auth.renew(first, request.signal))) throw error;
      body = await this.http.send(request, await this.auth.authorization(request.signal));
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
        .join('; ');
      throw new AirflowProtocolError(
        `Airflow ${request.method} ${request.path} answered with an unexpected body (${where})`,
        { method: request.method, path: request.path },
      );
    }
    return parsed.data;
  }
}
