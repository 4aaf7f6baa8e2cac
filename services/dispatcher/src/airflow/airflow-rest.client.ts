import type { z } from 'zod';
import type {
  AirflowApiVersion,
  AirflowClient,
  AirflowDag,
  AirflowDagRun,
  AirflowTaskInstance,
  ClearedTaskInstance,
  ClearTaskInstancesOptions,
  FollowDagRunOptions,
  FollowDagRunResult,
  RequestOptions,
  TriggerDagRunOptions,
} from './airflow.client';
import type { AirflowAuth } from './airflow.auth';
import { AirflowAuthError, AirflowProtocolError } from './airflow.errors';
import type { AirflowHttp, AirflowHttpRequest } from './airflow.transport';
import { followDagRun } from './follow-dag-run';

/** Page size when listing task instances. */
export const TASK_INSTANCE_PAGE_SIZE = 100;

/** What the v2 and v1 clients share: authenticated calls with one renewal after a 401, and following a run. */
export abstract class AirflowRestClient implements AirflowClient {
  abstract readonly apiVersion: AirflowApiVersion;

  constructor(
    protected readonly http: AirflowHttp,
    protected readonly auth: AirflowAuth,
  ) {}

  abstract getDag(dagId: string, options?: RequestOptions): Promise<AirflowDag>;
  abstract pauseDag(dagId: string, options?: RequestOptions): Promise<AirflowDag>;
  abstract unpauseDag(dagId: string, options?: RequestOptions): Promise<AirflowDag>;
  abstract triggerDagRun(dagId: string, options?: TriggerDagRunOptions): Promise<AirflowDagRun>;
  abstract getDagRun(dagId: string, dagRunId: string, options?: RequestOptions): Promise<AirflowDagRun>;
  abstract listTaskInstances(dagId: string, dagRunId: string, options?: RequestOptions): Promise<AirflowTaskInstance[]>;
  abstract clearFailedTaskInstances(
    dagId: string,
    dagRunId: string,
    options?: ClearTaskInstancesOptions,
  ): Promise<ClearedTaskInstance[]>;

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
