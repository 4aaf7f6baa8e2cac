import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwtIssuer } from './jwt';
import { OpenApiContract, type OperationContract, type ValidationProblem, type Validator } from './openapi-contract';

/**
 * A local stand-in for Airflow 3 (`/api/v2` + `/auth/token`) or Airflow 2 (`/api/v1`),
 * for the operations the dispatcher uses. Every request is checked against the
 * upstream OpenAPI documents in ../airflow-spec (auth, query parameters, body) and
 * every response it sends is validated against the documented response schema, so
 * neither the client nor the fake can drift from the published contract.
 *
 * Behaviour imitated from Airflow:
 * - new DAGs are paused (`dags_are_paused_at_creation`); runs of a paused DAG stay queued;
 * - a run goes queued → running; each task instance none → scheduled → queued → running →
 *   success/failed once its upstream tasks succeeded (upstream_failed otherwise); the run
 *   ends success, or failed when any task failed;
 * - clear with `only_failed` resets failed and upstream_failed task instances to no state and
 *   (with `reset_dag_runs`, the default) puts the run back to queued; `dry_run` defaults to true;
 * - `PATCH` of a run's state to failed fails its running task instances and skips the unfinished
 *   ones (`set_dag_run_state_to_failed`);
 * - task outcomes come from scripts, or from a task runner (`runTasksWith`, see fake-scheduler.ts)
 *   that really runs each task instance's command;
 * - v2 answers invalid requests 422 `{ detail: [{ loc, msg, type }] }` (FastAPI), v1 answers
 *   400 RFC 7807 problems (connexion) and, like Airflow 2's marshmallow schemas, refuses
 *   unknown and read-only fields in request bodies.
 */

export type FakeApiVersion = 'v2' | 'v1';
export type FakeRole = 'admin' | 'viewer';
export type TaskOutcome = 'success' | 'failed';

export interface FakeUser {
  username: string;
  password: string;
  /** `viewer` may read but gets 403 on PATCH and POST. */
  role: FakeRole;
}

export interface FakeAirflowOptions {
  apiVersion: FakeApiVersion;
  users?: FakeUser[];
  /** Lifetime of the JWTs `/auth/token` issues (v2); default one minute. */
  tokenTtlMs?: number;
  /** Interval of the scheduler's ticks; default 10 ms. */
  stepMs?: number;
  /** Ticks a task instance stays running; default 2. */
  runningSteps?: number;
}

/** A task instance Airflow's executor is asked to run (what a worker slot receives). */
export interface TaskToRun {
  dagId: string;
  dagRunId: string;
  taskId: string;
  tryNumber: number;
  /** The DAG run's conf, for rendering templated arguments. */
  conf: Record<string, unknown>;
}

/**
 * Runs task instances instead of the scripted outcomes (see FakeScheduler): called once per
 * try when the instance starts running; its answer becomes the instance's state, unless the
 * state changed meanwhile (the run was marked failed through the API).
 */
export type TaskRunner = (task: TaskToRun) => Promise<TaskOutcome>;

export interface FakeDagDefinition {
  dagId: string;
  tasks: Array<{ taskId: string; upstream?: string[] }>;
  /** Default true, as Airflow's `dags_are_paused_at_creation`. */
  isPaused?: boolean;
  tags?: string[];
  description?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON, or the raw text when it was not JSON. */
  body: unknown;
  status: number;
}

type DagRunState = 'queued' | 'running' | 'success' | 'failed';
type TiState = 'scheduled' | 'queued' | 'running' | 'success' | 'failed' | 'upstream_failed' | 'skipped';

interface FakeTaskInstance {
  id: string;
  taskId: string;
  upstream: string[];
  state: TiState | null;
  tryNumber: number;
  runningTicks: number;
  /** The try a task runner is working on, if any. */
  runnerTry?: number;
  startDate: string | null;
  endDate: string | null;
  scheduledWhen: string | null;
  queuedWhen: string | null;
}

interface FakeDagRun {
  dagId: string;
  runId: string;
  state: DagRunState;
  logicalDate: string | null;
  runAfter: string;
  queuedAt: string;
  startDate: string | null;
  endDate: string | null;
  conf: Record<string, unknown>;
  note: string | null;
  triggeredBy: string;
  tis: FakeTaskInstance[];
}

interface FakeDag {
  dagId: string;
  isPaused: boolean;
  description: string | null;
  tags: string[];
  tasks: Array<{ taskId: string; upstream: string[] }>;
  parsedAt: string;
  versionId: string;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Context {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  user: FakeUser;
}

interface Route {
  method: string;
  pattern: RegExp;
  contract: OpenApiContract;
  specPath: string;
  public: boolean;
  handle: (context: Context) => Reply;
}

const TERMINAL_TI: ReadonlySet<TiState> = new Set(['success', 'failed', 'upstream_failed', 'skipped']);
const V1_PROBLEM_BASE =
  'https://airflow.apache.org/docs/apache-airflow/2.10.0/stable-rest-api-ref.html#section/Errors/';

let contracts: { v2: OpenApiContract; auth: OpenApiContract; v1: OpenApiContract } | undefined;
/** Parsing and compiling the documents once per test file. */
function loadContracts(): { v2: OpenApiContract; auth: OpenApiContract; v1: OpenApiContract } {
  contracts ??= {
    v2: OpenApiContract.load('v2-rest-api-generated.yaml'),
    auth: OpenApiContract.load('v2-simple-auth-manager-generated.yaml'),
    v1: OpenApiContract.load('v1.yaml'),
  };
  return contracts;
}

export class FakeAirflow {
  readonly apiVersion: FakeApiVersion;
  readonly requests: RecordedRequest[] = [];
  /** Anything the fake answered that its own specification does not allow; tests assert it stays empty. */
  readonly violations: string[] = [];
  /** `POST /auth/token` calls that issued a token. */
  tokenRequests = 0;

  private readonly users: FakeUser[];
  private readonly tokenTtlMs: number;
  private readonly runningSteps: number;
  private readonly jwt = new JwtIssuer();
  private readonly dags = new Map<string, FakeDag>();
  private readonly runs: FakeDagRun[] = [];
  private readonly scripts = new Map<string, TaskOutcome[]>();
  private readonly faults: Array<{ status: number; times: number; match: RegExp }> = [];
  private taskRunner: TaskRunner | undefined;
  private readonly routes: Route[];
  private readonly timer: NodeJS.Timeout;
  private server!: Server;
  private port = 0;

  private constructor(options: FakeAirflowOptions) {
    this.apiVersion = options.apiVersion;
    this.users = options.users ?? [{ username: 'admin', password: 'admin-password', role: 'admin' }];
    this.tokenTtlMs = options.tokenTtlMs ?? 60_000;
    this.runningSteps = options.runningSteps ?? 2;
    this.routes = this.buildRoutes();
    this.timer = setInterval(() => this.tick(), options.stepMs ?? 10);
    this.timer.unref();
  }

  static async start(options: FakeAirflowOptions): Promise<FakeAirflow> {
    const fake = new FakeAirflow(options);
    fake.server = createServer((req, res) => void fake.serve(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** As if the DAG processor had parsed a DAG file. */
  addDag(definition: FakeDagDefinition): void {
    this.dags.set(definition.dagId, {
      dagId: definition.dagId,
      isPaused: definition.isPaused ?? true,
      description: definition.description ?? null,
      tags: definition.tags ?? [],
      tasks: definition.tasks.map((task) => ({ taskId: task.taskId, upstream: task.upstream ?? [] })),
      parsedAt: now(),
      versionId: randomUUID(),
    });
  }

  /** A DAG as the factory would build it from a DAG spec (`{ dag_id, description, tags, tasks: [{ task_id, upstream }] }`). */
  addDagFromSpec(spec: {
    dag_id: string;
    description: string;
    tags: string[];
    tasks: Array<{ task_id: string; upstream: string[] }>;
  }): void {
    this.addDag({
      dagId: spec.dag_id,
      description: spec.description,
      tags: spec.tags,
      tasks: spec.tasks.map((task) => ({ taskId: task.task_id, upstream: task.upstream })),
    });
  }

  /** Outcome of each try of a task in every run of the DAG (try 1 = `outcomes[0]`); success once the list runs out. */
  scriptTask(dagId: string, taskId: string, outcomes: TaskOutcome[]): void {
    this.scripts.set(`${dagId}/${taskId}`, outcomes);
  }

  /** The next `times` requests whose path matches answer `status` (outside the specification: a broken server). */
  injectFault(fault: { status: number; times: number; match?: RegExp }): void {
    this.faults.push({ status: fault.status, times: fault.times, match: fault.match ?? /.*/ });
  }

  /** From now on task instances are run by `runner` (and end as it answers) instead of by scripts. */
  runTasksWith(runner: TaskRunner): void {
    this.taskRunner = runner;
  }

  /** Every token issued so far is refused from now on (v2). */
  revokeTokens(): void {
    this.jwt.revokeAll();
  }

  dagState(dagId: string): { isPaused: boolean } | undefined {
    const dag = this.dags.get(dagId);
    return dag && { isPaused: dag.isPaused };
  }

  runState(dagId: string, runId: string): { state: DagRunState; tasks: Record<string, TiState | null> } | undefined {
    const run = this.findRun(dagId, runId);
    return run && { state: run.state, tasks: Object.fromEntries(run.tis.map((ti) => [ti.taskId, ti.state])) };
  }

  // ---- HTTP ----------------------------------------------------------------------------------------------------

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake-airflow');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let body: unknown;
    let malformed = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        malformed = true;
      }
    }
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: malformed ? raw : body,
      status: 0,
    };
    this.requests.push(record);
    let reply: Reply;
    try {
      reply = this.respond(method, url, body, malformed, req.headers);
    } catch (error) {
      this.violations.push(`${method} ${url.pathname}: handler threw ${(error as Error).stack}`);
      reply = { status: 500, body: { detail: 'fake-airflow: handler threw' } };
    }
    record.status = reply.status;
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }

  private respond(method: string, url: URL, body: unknown, malformed: boolean, headers: IncomingHttpHeaders): Reply {
    const fault = this.faults.find((candidate) => candidate.times > 0 && candidate.match.test(url.pathname));
    if (fault) {
      fault.times -= 1;
      return { status: fault.status, body: { detail: 'fake-airflow: injected fault' } };
    }

    let route: Route | undefined;
    let params: Record<string, string> = {};
    for (const candidate of this.routes) {
      const match = candidate.method === method ? candidate.pattern.exec(url.pathname) : null;
      if (match) {
        route = candidate;
        params = Object.fromEntries(Object.entries(match.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
        break;
      }
    }
    if (route === undefined) {
      this.violations.push(`${method} ${url.pathname}: not an operation this fake serves`);
      return { status: 404, body: { detail: 'Not Found' } };
    }
    const operation = route.contract.operation(method, route.specPath);
    const reply = this.process(route, operation, params, url.searchParams, body, malformed, headers);
    return this.checked(operation, reply);
  }

  private process(
    route: Route,
    operation: OperationContract,
    params: Record<string, string>,
    query: URLSearchParams,
    body: unknown,
    malformed: boolean,
    headers: IncomingHttpHeaders,
  ): Reply {
    let user: FakeUser | undefined;
    if (!route.public) {
      user = this.authenticate(headers.authorization);
      if (user === undefined) {
        return this.apiVersion === 'v2'
          ? { status: 401, body: { detail: 'Not authenticated' }, headers: { 'www-authenticate': 'Bearer' } }
          : {
              status: 401,
              body: problem(401, 'Unauthorized', 'Unauthenticated'),
              headers: { 'www-authenticate': 'Basic' },
            };
      }
      if (user.role === 'viewer' && route.method !== 'GET') {
        return this.apiVersion === 'v2'
          ? { status: 403, body: { detail: 'Forbidden' } }
          : { status: 403, body: problem(403, 'Forbidden', 'PermissionDenied', 'You do not have permission') };
      }
    }

    const problems: Array<ValidationProblem & { where: 'query' | 'body' }> = [];
    for (const parameter of operation.query) {
      const value = query.get(parameter.name);
      if (value === null) {
        if (parameter.required)
          problems.push({ where: 'query', path: [parameter.name], keyword: 'required', message: 'required' });
        continue;
      }
      const coerced = coerceQuery(value, parameter.isArray, parameter.type);
      for (const problem of parameter.validate(coerced)) {
        problems.push({ ...problem, where: 'query', path: [parameter.name, ...problem.path] });
      }
    }
    if (operation.requestBody !== undefined) {
      if (malformed || body === undefined) {
        problems.push({
          where: 'body',
          path: [],
          keyword: malformed ? 'json_invalid' : 'missing',
          message: 'a JSON body is required',
        });
      } else {
        for (const problem of operation.requestBody.validate(body)) problems.push({ ...problem, where: 'body' });
        if (this.apiVersion === 'v1' && problems.length === 0 && isRecord(body)) {
          // Airflow 2 loads bodies with marshmallow schemas: unknown and dump-only (readOnly) fields are refused.
          for (const field of Object.keys(body)) {
            const property = operation.requestBody.properties.get(field);
            if (property === undefined || property.readOnly) {
              problems.push({ where: 'body', path: [field], keyword: 'unknown', message: 'Unknown field.' });
            }
          }
        }
      }
    }
    if (problems.length > 0) return this.invalid(problems);
    return route.handle({ params, query, body, user: user ?? this.users[0] });
  }

  /** Validates the answer against the operation's documented response (or the API-wide error schema). */
  private checked(operation: OperationContract, reply: Reply): Reply {
    const where = `${operation.method} ${operation.path} → ${reply.status}`;
    let validate: Validator | undefined = operation.response(reply.status);
    if (validate === undefined && reply.status >= 400) {
      // Framework-level errors (FastAPI 401/403/422, connexion 400/401/403) can come from any route.
      const contract = loadContracts()[this.apiVersion];
      const schema =
        this.apiVersion === 'v1' ? 'Error' : reply.status === 422 ? 'HTTPValidationError' : 'HTTPExceptionResponse';
      validate = contract.component(schema);
    }
    if (validate === undefined) {
      this.violations.push(`${where}: the specification declares no such response`);
      return { status: 500, body: { detail: `fake-airflow: undeclared response ${where}` } };
    }
    const problems = validate(reply.body);
    if (problems.length > 0) {
      this.violations.push(`${where}: response does not match the specification: ${JSON.stringify(problems)}`);
      return { status: 500, body: { detail: `fake-airflow: invalid response ${where}` } };
    }
    return reply;
  }

  private invalid(problems: Array<ValidationProblem & { where: 'query' | 'body' }>): Reply {
    if (this.apiVersion === 'v1') {
      const detail = problems.map((p) => `${[p.where, ...p.path].join('.')}: ${p.message}`).join('; ');
      return { status: 400, body: problem(400, 'Bad Request', 'BadRequest', detail) };
    }
    // Pydantic reports an Optional[X] field once, not once per anyOf branch as ajv does.
    const paths = (p: ValidationProblem & { where: string }): string => JSON.stringify([p.where, ...p.path]);
    const specific = new Set(problems.filter((p) => p.keyword !== 'anyOf' && p.message !== 'must be null').map(paths));
    const seen = new Set<string>();
    const detail = problems
      .filter((p) => !((p.keyword === 'anyOf' || p.message === 'must be null') && specific.has(paths(p))))
      .map((p) => ({ loc: [p.where, ...p.path], ...pydanticError(p) }))
      .filter((item) => {
        const key = JSON.stringify(item);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    return { status: 422, body: { detail } };
  }

  private authenticate(header: string | undefined): FakeUser | undefined {
    if (header === undefined) return undefined;
    if (this.apiVersion === 'v2') {
      const match = /^Bearer (.+)$/.exec(header);
      const claims = match ? this.jwt.verify(match[1]) : undefined;
      return claims && this.users.find((user) => user.username === claims.sub);
    }
    const match = /^Basic (.+)$/.exec(header);
    if (!match) return undefined;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    return this.users.find((user) => user.username === username && user.password === password);
  }

  private buildRoutes(): Route[] {
    const all = loadContracts();
    const api = all[this.apiVersion];
    const prefix = this.apiVersion === 'v2' ? '/api/v2' : '/api/v1';
    const specPrefix = this.apiVersion === 'v2' ? '/api/v2' : '';
    const route = (method: string, path: string, handle: Route['handle']): Route => ({
      method,
      pattern: new RegExp(`^${prefix}${path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`),
      contract: api,
      specPath: `${specPrefix}${path}`,
      public: false,
      handle,
    });
    const routes: Route[] = [
      route('GET', '/dags/{dag_id}', (c) => this.getDag(c)),
      route('PATCH', '/dags/{dag_id}', (c) => this.patchDag(c)),
      route('POST', '/dags/{dag_id}/dagRuns', (c) => this.triggerRun(c)),
      route('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}', (c) => this.getRun(c)),
      route('PATCH', '/dags/{dag_id}/dagRuns/{dag_run_id}', (c) => this.patchRun(c)),
      route('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances', (c) => this.listTaskInstances(c)),
      route('POST', '/dags/{dag_id}/clearTaskInstances', (c) => this.clear(c)),
    ];
    if (this.apiVersion === 'v2') {
      routes.push({
        method: 'POST',
        pattern: /^\/auth\/token$/,
        contract: all.auth,
        specPath: '/auth/token',
        public: true,
        handle: (c) => this.login(c),
      });
    }
    return routes;
  }

  // ---- operations ----------------------------------------------------------------------------------------------

  private login({ body }: Context): Reply {
    const { username, password } = body as { username: string; password: string };
    const user = this.users.find((candidate) => candidate.username === username && candidate.password === password);
    if (user === undefined) return { status: 401, body: { detail: 'Invalid credentials' } };
    this.tokenRequests += 1;
    return {
      status: 201,
      body: { access_token: this.jwt.issue({ sub: user.username, role: user.role }, this.tokenTtlMs) },
    };
  }

  private getDag({ params }: Context): Reply {
    const dag = this.dags.get(params.dag_id);
    if (dag === undefined) return this.notFound(`The Dag with ID: \`${params.dag_id}\` was not found`);
    return { status: 200, body: this.serializeDag(dag) };
  }

  private patchDag({ params, query, body }: Context): Reply {
    const dag = this.dags.get(params.dag_id);
    if (dag === undefined) return this.notFound(`Dag with id: ${params.dag_id} was not found`);
    const mask = query.get('update_mask');
    if (mask !== null && mask.split(',').some((field) => field !== 'is_paused')) {
      return this.badRequest('Only `is_paused` field can be updated through the REST API');
    }
    const { is_paused: isPaused } = body as { is_paused?: boolean | null };
    if (typeof isPaused !== 'boolean') return this.badRequest('is_paused is required');
    dag.isPaused = isPaused;
    return { status: 200, body: this.serializeDag(dag) };
  }

  private triggerRun({ params, body, user }: Context): Reply {
    const dag = this.dags.get(params.dag_id);
    if (dag === undefined) return this.notFound(`DAG with dag_id: '${params.dag_id}' not found`);
    const request = body as {
      dag_run_id?: string | null;
      logical_date?: string | null;
      conf?: Record<string, unknown> | null;
      note?: string | null;
    };
    const runAfter = now();
    // Airflow 2 defaults the logical date to now; Airflow 3 lets it be null.
    const logicalDate = request.logical_date ?? (this.apiVersion === 'v1' ? runAfter : null);
    if (logicalDate !== null && this.runs.some((r) => r.dagId === dag.dagId && r.logicalDate === logicalDate)) {
      return this.conflict(
        `DAGRun with DAG ID: '${dag.dagId}' and DAGRun logical date: '${logicalDate}' already exists`,
      );
    }
    let runId = request.dag_run_id ?? `manual__${logicalDate ?? runAfter}`;
    if (request.dag_run_id != null && this.findRun(dag.dagId, runId)) {
      return this.conflict(`DAGRun with DAG ID: '${dag.dagId}' and DAGRun ID: '${runId}' already exists`);
    }
    for (let n = 1; this.findRun(dag.dagId, runId); n += 1) runId = `manual__${runAfter}_${n}`;
    const run: FakeDagRun = {
      dagId: dag.dagId,
      runId,
      state: 'queued',
      logicalDate,
      runAfter,
      queuedAt: runAfter,
      startDate: null,
      endDate: null,
      conf: request.conf ?? {},
      note: request.note ?? null,
      triggeredBy: user.username,
      tis: dag.tasks.map((task) => ({
        id: randomUUID(),
        taskId: task.taskId,
        upstream: task.upstream,
        state: null,
        tryNumber: 0,
        runningTicks: 0,
        startDate: null,
        endDate: null,
        scheduledWhen: null,
        queuedWhen: null,
      })),
    };
    this.runs.push(run);
    return { status: 200, body: this.serializeRun(run) };
  }

  private getRun({ params }: Context): Reply {
    const run = this.findRun(params.dag_id, params.dag_run_id);
    if (run === undefined)
      return this.notFound(
        `The DagRun with dag_id: \`${params.dag_id}\` and run_id: \`${params.dag_run_id}\` was not found`,
      );
    return { status: 200, body: this.serializeRun(run) };
  }

  /**
   * Airflow's `set_dag_run_state_to_*`: `failed` fails the running task instances and skips
   * the unfinished ones (their processes are then terminated by their heartbeat), `success`
   * marks every unfinished instance success, `queued` only requeues the run.
   */
  private patchRun({ params, body }: Context): Reply {
    const dag = this.dags.get(params.dag_id);
    if (dag === undefined) return this.notFound(`Dag with id: '${params.dag_id}' was not found`);
    const run = this.findRun(params.dag_id, params.dag_run_id);
    if (run === undefined)
      return this.notFound(
        `The DagRun with dag_id: '${params.dag_id}' and run_id: '${params.dag_run_id}' was not found`,
      );
    const request = body as { state?: 'queued' | 'success' | 'failed' | null; note?: string | null };
    if (request.note !== undefined) run.note = request.note;
    const unfinished = run.tis.filter((ti) => ti.state === null || !TERMINAL_TI.has(ti.state));
    switch (request.state) {
      case 'failed':
        for (const ti of unfinished) ti.state = ti.state === 'running' ? 'failed' : 'skipped';
        break;
      case 'success':
        for (const ti of unfinished) ti.state = 'success';
        break;
      case 'queued':
      case null:
      case undefined:
        break;
    }
    if (request.state === 'failed' || request.state === 'success') {
      for (const ti of unfinished) ti.endDate = now();
      run.state = request.state;
      run.endDate = now();
    } else if (request.state === 'queued') {
      run.state = 'queued';
      run.endDate = null;
    }
    return { status: 200, body: this.serializeRun(run) };
  }

  private listTaskInstances({ params, query }: Context): Reply {
    const run = this.findRun(params.dag_id, params.dag_run_id);
    if (run === undefined) return this.notFound(`DagRun with run_id: \`${params.dag_run_id}\` was not found`);
    const limit = Number(query.get('limit') ?? (this.apiVersion === 'v2' ? 50 : 100));
    const offset = Number(query.get('offset') ?? 0);
    const page = run.tis.slice(offset, offset + limit).map((ti) => this.serializeTaskInstance(run, ti));
    return { status: 200, body: { task_instances: page, total_entries: run.tis.length } };
  }

  private clear({ params, body }: Context): Reply {
    const dag = this.dags.get(params.dag_id);
    if (dag === undefined) return this.notFound(`DAG ${params.dag_id} not found`);
    const request = body as {
      dry_run?: boolean;
      only_failed?: boolean;
      only_running?: boolean;
      reset_dag_runs?: boolean;
      dag_run_id?: string | null;
      task_ids?: Array<string | [string, number]> | null;
    };
    let runs = this.runs.filter((run) => run.dagId === dag.dagId);
    if (request.dag_run_id != null) {
      runs = runs.filter((run) => run.runId === request.dag_run_id);
      if (runs.length === 0) return this.notFound(`Dag Run id ${request.dag_run_id} not found in dag ${dag.dagId}`);
    }
    const dryRun = request.dry_run ?? true;
    const onlyFailed = request.only_failed ?? true;
    const taskIds = request.task_ids?.map((entry) => (Array.isArray(entry) ? entry[0] : entry));
    const cleared: Array<{ run: FakeDagRun; ti: FakeTaskInstance }> = [];
    for (const run of runs) {
      for (const ti of run.tis) {
        if (onlyFailed && ti.state !== 'failed' && ti.state !== 'upstream_failed') continue;
        if (request.only_running === true && ti.state !== 'running') continue;
        if (taskIds != null && !taskIds.includes(ti.taskId)) continue;
        cleared.push({ run, ti });
      }
    }
    if (!dryRun) {
      for (const { run, ti } of cleared) {
        ti.state = null;
        ti.startDate = null;
        ti.endDate = null;
        ti.runningTicks = 0;
        if (request.reset_dag_runs ?? true) {
          run.state = 'queued';
          run.endDate = null;
        }
      }
    }
    if (this.apiVersion === 'v2') {
      return {
        status: 200,
        body: {
          task_instances: cleared.map(({ run, ti }) => this.serializeTaskInstance(run, ti)),
          total_entries: cleared.length,
        },
      };
    }
    return {
      status: 200,
      body: {
        task_instances: cleared.map(({ run, ti }) => ({
          task_id: ti.taskId,
          dag_id: run.dagId,
          execution_date: run.logicalDate ?? run.runAfter,
          dag_run_id: run.runId,
        })),
      },
    };
  }

  // ---- the scheduler ---------------------------------------------------------------------------------------------

  private tick(): void {
    for (const run of this.runs) {
      const dag = this.dags.get(run.dagId);
      if (dag === undefined || dag.isPaused) continue;
      if (run.state === 'queued') {
        run.state = 'running';
        run.startDate ??= now();
        continue;
      }
      if (run.state !== 'running') continue;
      const byTask = new Map(run.tis.map((ti) => [ti.taskId, ti]));
      for (const ti of run.tis) this.advance(run, ti, byTask);
      if (run.tis.every((ti) => ti.state !== null && TERMINAL_TI.has(ti.state))) {
        run.state = run.tis.some((ti) => ti.state === 'failed' || ti.state === 'upstream_failed')
          ? 'failed'
          : 'success';
        run.endDate = now();
      }
    }
  }

  private advance(run: FakeDagRun, ti: FakeTaskInstance, byTask: Map<string, FakeTaskInstance>): void {
    switch (ti.state) {
      case null: {
        const upstream = ti.upstream.map((id) => byTask.get(id)?.state ?? null);
        if (upstream.some((state) => state === 'failed' || state === 'upstream_failed')) {
          ti.state = 'upstream_failed';
          ti.endDate = now();
        } else if (upstream.every((state) => state === 'success' || state === 'skipped')) {
          ti.state = 'scheduled';
          ti.tryNumber += 1;
          ti.scheduledWhen = now();
        }
        return;
      }
      case 'scheduled':
        ti.state = 'queued';
        ti.queuedWhen = now();
        return;
      case 'queued':
        ti.state = 'running';
        ti.startDate = now();
        ti.runningTicks = 0;
        return;
      case 'running': {
        if (this.taskRunner !== undefined) {
          this.startRunner(this.taskRunner, run, ti);
          return;
        }
        ti.runningTicks += 1;
        if (ti.runningTicks < this.runningSteps) return;
        const outcomes = this.scripts.get(`${run.dagId}/${ti.taskId}`) ?? [];
        ti.state = outcomes[ti.tryNumber - 1] ?? 'success';
        ti.endDate = now();
        return;
      }
      case 'success':
      case 'failed':
      case 'upstream_failed':
      case 'skipped':
        return;
    }
  }

  private startRunner(runner: TaskRunner, run: FakeDagRun, ti: FakeTaskInstance): void {
    if (ti.runnerTry === ti.tryNumber) return;
    const tryNumber = ti.tryNumber;
    ti.runnerTry = tryNumber;
    const settle = (state: TiState): void => {
      // A state set meanwhile through the API (the run marked failed) stands.
      if (ti.state !== 'running' || ti.tryNumber !== tryNumber) return;
      ti.state = state;
      ti.endDate = now();
    };
    runner({ dagId: run.dagId, dagRunId: run.runId, taskId: ti.taskId, tryNumber, conf: run.conf }).then(
      (outcome) => settle(outcome),
      () => settle('failed'),
    );
  }

  // ---- serialisation (shapes from the specifications' response schemas) -------------------------------------------

  private serializeDag(dag: FakeDag): Record<string, unknown> {
    const fileloc = '/opt/airflow/dags/aoe_dag_factory.py';
    if (this.apiVersion === 'v2') {
      return {
        dag_id: dag.dagId,
        dag_display_name: dag.dagId,
        is_paused: dag.isPaused,
        is_stale: false,
        last_parsed_time: dag.parsedAt,
        last_expired: null,
        bundle_name: 'dags-folder',
        bundle_version: null,
        relative_fileloc: 'aoe_dag_factory.py',
        fileloc,
        description: dag.description,
        timetable_summary: null,
        timetable_description: 'Never, external triggers only',
        tags: dag.tags.map((name) => ({ name, dag_id: dag.dagId, dag_display_name: dag.dagId })),
        max_active_tasks: 16,
        max_active_runs: 1,
        max_consecutive_failed_dag_runs: 0,
        has_task_concurrency_limits: false,
        has_import_errors: false,
        next_dagrun_logical_date: null,
        next_dagrun_data_interval_start: null,
        next_dagrun_data_interval_end: null,
        next_dagrun_run_after: null,
        owners: ['airflow'],
        file_token: Buffer.from(fileloc).toString('base64url'),
      };
    }
    return {
      dag_id: dag.dagId,
      dag_display_name: dag.dagId,
      root_dag_id: null,
      is_paused: dag.isPaused,
      is_active: true,
      is_subdag: false,
      last_parsed_time: dag.parsedAt,
      last_pickled: null,
      last_expired: null,
      scheduler_lock: null,
      pickle_id: null,
      default_view: 'grid',
      fileloc,
      file_token: Buffer.from(fileloc).toString('base64url'),
      owners: ['airflow'],
      description: dag.description,
      schedule_interval: null,
      timetable_description: 'Never, external triggers only',
      tags: dag.tags.map((name) => ({ name })),
      max_active_tasks: 16,
      max_active_runs: 1,
      has_task_concurrency_limits: false,
      has_import_errors: false,
      next_dagrun: null,
      next_dagrun_data_interval_start: null,
      next_dagrun_data_interval_end: null,
      next_dagrun_create_after: null,
      max_consecutive_failed_dag_runs: 0,
    };
  }

  private serializeRun(run: FakeDagRun): Record<string, unknown> {
    if (this.apiVersion === 'v2') {
      const dag = this.dags.get(run.dagId)!;
      return {
        dag_run_id: run.runId,
        dag_id: run.dagId,
        logical_date: run.logicalDate,
        queued_at: run.queuedAt,
        start_date: run.startDate,
        end_date: run.endDate,
        duration: duration(run.startDate, run.endDate),
        data_interval_start: null,
        data_interval_end: null,
        run_after: run.runAfter,
        last_scheduling_decision: null,
        run_type: 'manual',
        state: run.state,
        triggered_by: 'rest_api',
        triggering_user_name: run.triggeredBy,
        conf: run.conf,
        note: run.note,
        dag_versions: [this.dagVersion(dag)],
        bundle_version: null,
        dag_display_name: run.dagId,
      };
    }
    return {
      dag_run_id: run.runId,
      dag_id: run.dagId,
      logical_date: run.logicalDate,
      execution_date: run.logicalDate,
      start_date: run.startDate,
      end_date: run.endDate,
      data_interval_start: run.logicalDate,
      data_interval_end: run.logicalDate,
      last_scheduling_decision: null,
      run_type: 'manual',
      state: run.state,
      external_trigger: true,
      conf: run.conf,
      note: run.note,
    };
  }

  private serializeTaskInstance(run: FakeDagRun, ti: FakeTaskInstance): Record<string, unknown> {
    if (this.apiVersion === 'v2') {
      const dag = this.dags.get(run.dagId)!;
      return {
        id: ti.id,
        task_id: ti.taskId,
        dag_id: run.dagId,
        dag_run_id: run.runId,
        map_index: -1,
        logical_date: run.logicalDate,
        run_after: run.runAfter,
        start_date: ti.startDate,
        end_date: ti.endDate,
        duration: duration(ti.startDate, ti.endDate),
        state: ti.state,
        try_number: ti.tryNumber,
        max_tries: 0,
        task_display_name: ti.taskId,
        dag_display_name: run.dagId,
        hostname: null,
        unixname: null,
        pool: 'default_pool',
        pool_slots: 1,
        queue: 'default',
        priority_weight: 1,
        operator: 'BashOperator',
        operator_name: 'BashOperator',
        queued_when: ti.queuedWhen,
        scheduled_when: ti.scheduledWhen,
        pid: null,
        executor: null,
        executor_config: '{}',
        note: null,
        rendered_map_index: null,
        rendered_fields: {},
        trigger: null,
        triggerer_job: null,
        dag_version: this.dagVersion(dag),
      };
    }
    return {
      task_id: ti.taskId,
      task_display_name: ti.taskId,
      dag_id: run.dagId,
      dag_run_id: run.runId,
      execution_date: run.logicalDate ?? run.runAfter,
      start_date: ti.startDate,
      end_date: ti.endDate,
      duration: duration(ti.startDate, ti.endDate),
      state: ti.state,
      try_number: ti.tryNumber,
      map_index: -1,
      max_tries: 0,
      hostname: '',
      unixname: 'airflow',
      pool: 'default_pool',
      pool_slots: 1,
      queue: 'default',
      priority_weight: 1,
      operator: 'BashOperator',
      queued_when: ti.queuedWhen,
      pid: null,
      executor: null,
      executor_config: '{}',
      rendered_map_index: null,
      rendered_fields: {},
      note: null,
    };
  }

  private dagVersion(dag: FakeDag): Record<string, unknown> {
    return {
      id: dag.versionId,
      version_number: 1,
      dag_id: dag.dagId,
      bundle_name: 'dags-folder',
      bundle_version: null,
      created_at: dag.parsedAt,
      dag_display_name: dag.dagId,
      bundle_url: null,
    };
  }

  // ---- helpers ----------------------------------------------------------------------------------------------------

  private findRun(dagId: string, runId: string): FakeDagRun | undefined {
    return this.runs.find((run) => run.dagId === dagId && run.runId === runId);
  }

  private notFound(detail: string): Reply {
    return this.apiVersion === 'v2'
      ? { status: 404, body: { detail } }
      : { status: 404, body: problem(404, 'Not Found', 'NotFound', detail) };
  }

  private conflict(detail: string): Reply {
    return this.apiVersion === 'v2'
      ? { status: 409, body: { detail } }
      : { status: 409, body: problem(409, 'Conflict', 'AlreadyExists', detail) };
  }

  private badRequest(detail: string): Reply {
    return this.apiVersion === 'v2'
      ? { status: 400, body: { detail } }
      : { status: 400, body: problem(400, 'Bad Request', 'BadRequest', detail) };
  }
}

function problem(status: number, title: string, section: string, detail?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { type: `${V1_PROBLEM_BASE}${section}`, title, status };
  if (detail !== undefined) body.detail = detail;
  return body;
}

function pydanticError(problem: ValidationProblem): { msg: string; type: string } {
  switch (problem.keyword) {
    case 'required':
    case 'missing':
      return { type: 'missing', msg: 'Field required' };
    case 'additionalProperties':
      return { type: 'extra_forbidden', msg: 'Extra inputs are not permitted' };
    case 'json_invalid':
      return { type: 'json_invalid', msg: 'JSON decode error' };
    default:
      return { type: problem.keyword, msg: problem.message };
  }
}

function coerceQuery(value: string, isArray: boolean, type: string | undefined): unknown {
  const scalar = (raw: string): unknown => {
    if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
    if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
    return raw;
  };
  return isArray ? value.split(',').map(scalar) : scalar(value);
}

function duration(start: string | null, end: string | null): number | null {
  return start && end ? (Date.parse(end) - Date.parse(start)) / 1000 : null;
}

function now(): string {
  return new Date().toISOString();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
