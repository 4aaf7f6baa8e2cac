import { randomUUID } from 'node:crypto';
import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type GrpcObject,
  type Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceClientConstructor,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { SourceRegistration } from '@aoe/contracts';
import type { Page } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import { AccessControl } from '../auth/access-control';
import type { Principal, Scope } from '../auth/scope';
import { GatewayConfig } from '../config/gateway.config';
import { AcknowledgeAlertUseCase } from '../usecases/acknowledge-alert/acknowledge-alert.usecase';
import { AnalyzeSourceUseCase } from '../usecases/analyze-source/analyze-source.usecase';
import { CancelRunUseCase } from '../usecases/cancel-run/cancel-run.usecase';
import { ChangePipelineStatusUseCase } from '../usecases/change-pipeline-status/change-pipeline-status.usecase';
import { CreateApiKeyUseCase } from '../usecases/create-api-key/create-api-key.usecase';
import { CreatePipelineUseCase } from '../usecases/create-pipeline/create-pipeline.usecase';
import { GetPipelineUseCase } from '../usecases/get-pipeline/get-pipeline.usecase';
import { GetRunUseCase } from '../usecases/get-run/get-run.usecase';
import { GetSourceUseCase } from '../usecases/get-source/get-source.usecase';
import { ListAlertsUseCase } from '../usecases/list-alerts/list-alerts.usecase';
import { ListDeadLettersUseCase } from '../usecases/list-dead-letters/list-dead-letters.usecase';
import { ListDecisionsUseCase } from '../usecases/list-decisions/list-decisions.usecase';
import { ListPipelinesUseCase } from '../usecases/list-pipelines/list-pipelines.usecase';
import { ListRunsUseCase } from '../usecases/list-runs/list-runs.usecase';
import { ListSourcesUseCase } from '../usecases/list-sources/list-sources.usecase';
import { RecordAuditUseCase } from '../usecases/record-audit/record-audit.usecase';
import { RegisterSourceUseCase } from '../usecases/register-source/register-source.usecase';
import { ReplayDeadLetterUseCase } from '../usecases/replay-dead-letter/replay-dead-letter.usecase';
import { RevokeApiKeyUseCase } from '../usecases/revoke-api-key/revoke-api-key.usecase';
import { SchedulePipelineUseCase } from '../usecases/schedule-pipeline/schedule-pipeline.usecase';
import { StartRunUseCase } from '../usecases/start-run/start-run.usecase';
import { TestSourceConnectionUseCase } from '../usecases/test-source-connection/test-source-connection.usecase';
import { auditStatusOf, toGrpcError } from './grpc-errors';
import { GATEWAY_PROTO, protoRoot } from './proto-path';
import { RunEventsHub } from './run-events.hub';

/** Every request field of gateway.proto, as proto-loader decodes it (defaults: '' / 0 / false). */
interface Req {
  id?: string;
  page?: { limit?: number; cursor?: string };
  status?: string;
  kind?: string;
  sourceId?: string;
  pipelineId?: string;
  planVersion?: number;
  runId?: string;
  reason?: string;
  severity?: string;
  openOnly?: boolean;
  service?: string;
  force?: boolean;
  subjectId?: string;
  agent?: string;
  name?: string;
  scope?: string;
  registrationJson?: string;
  pipelineJson?: string;
  schedule?: string;
}
type Handler = (request: Req, principal: Principal) => Promise<unknown>;

const TERMINAL_RUN_EVENTS = new Set(['run.succeeded', 'run.failed', 'run.cancelled']);

const record = (value: unknown) => ({ json: JSON.stringify(value) });
const page = (value: Page<unknown>) => ({ items: value.items.map(record), nextCursor: value.nextCursor ?? '' });
const opt = (value: string | undefined) => (value ? value : undefined);
const pageOf = (request: Req) => ({ limit: request.page?.limit || undefined, cursor: opt(request.page?.cursor) });
const id = (request: Req) => request.id ?? '';

/**
 * The gRPC face of the gateway (contracts/proto/aoe/v1/gateway.proto): the
 * same use cases as REST, the same access control, audit and errors, plus
 * Runs.WatchRun streaming a run's events.
 */
@Injectable()
export class GrpcGateway implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | undefined;
  /** The port it listens on, once started (0 when off). */
  port = 0;

  constructor(
    private readonly config: GatewayConfig,
    private readonly access: AccessControl,
    private readonly audit: RecordAuditUseCase,
    private readonly hub: RunEventsHub,
    private readonly telemetry: Telemetry,
    private readonly registerSource: RegisterSourceUseCase,
    private readonly listSources: ListSourcesUseCase,
    private readonly getSource: GetSourceUseCase,
    private readonly testConnection: TestSourceConnectionUseCase,
    private readonly analyzeSource: AnalyzeSourceUseCase,
    private readonly createPipeline: CreatePipelineUseCase,
    private readonly listPipelines: ListPipelinesUseCase,
    private readonly getPipeline: GetPipelineUseCase,
    private readonly schedulePipeline: SchedulePipelineUseCase,
    private readonly changePipelineStatus: ChangePipelineStatusUseCase,
    private readonly startRun: StartRunUseCase,
    private readonly listRuns: ListRunsUseCase,
    private readonly getRun: GetRunUseCase,
    private readonly cancelRun: CancelRunUseCase,
    private readonly listAlerts: ListAlertsUseCase,
    private readonly acknowledgeAlert: AcknowledgeAlertUseCase,
    private readonly listDeadLetters: ListDeadLettersUseCase,
    private readonly replayDeadLetter: ReplayDeadLetterUseCase,
    private readonly listDecisions: ListDecisionsUseCase,
    private readonly createApiKey: CreateApiKeyUseCase,
    private readonly revokeApiKey: RevokeApiKeyUseCase,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.grpcPort < 0) return;
    await this.hub.start();
    const definition = loadSync(GATEWAY_PROTO, { includeDirs: [protoRoot()], defaults: true, longs: Number });
    const v1 = (loadPackageDefinition(definition).aoe as GrpcObject).v1 as GrpcObject;
    const service = (name: string) => (v1[name] as ServiceClientConstructor).service;
    const server = new Server();
    server.addService(service('Sources'), this.sources());
    server.addService(service('Pipelines'), this.pipelines());
    server.addService(service('Runs'), this.runs());
    server.addService(service('Alerts'), {
      ListAlerts: this.unary('read', 'ListAlerts', async (r) =>
        page(
          await this.listAlerts.execute({
            ...pageOf(r),
            pipelineId: opt(r.pipelineId),
            runId: opt(r.runId),
            severity: opt(r.severity) as never,
            open: r.openOnly ? true : undefined,
          }),
        ),
      ),
      AcknowledgeAlert: this.unary('write', 'AcknowledgeAlert', async (r) =>
        record(await this.acknowledgeAlert.execute({ id: id(r) })),
      ),
    });
    server.addService(service('DeadLetters'), {
      ListDeadLetters: this.unary('read', 'ListDeadLetters', async (r) =>
        page(await this.listDeadLetters.execute({ ...pageOf(r), service: opt(r.service) })),
      ),
      ReplayDeadLetter: this.unary('admin', 'ReplayDeadLetter', async (r) =>
        record(await this.replayDeadLetter.execute({ id: id(r), force: r.force })),
      ),
    });
    server.addService(service('Decisions'), {
      ListDecisions: this.unary('read', 'ListDecisions', async (r) =>
        page(
          await this.listDecisions.execute({
            ...pageOf(r),
            subjectId: opt(r.subjectId),
            runId: opt(r.runId),
            agent: opt(r.agent) as never,
          }),
        ),
      ),
    });
    server.addService(service('Admin'), {
      CreateApiKey: this.unary('admin', 'CreateApiKey', async (r, principal) =>
        record(
          await this.createApiKey.execute({ name: r.name ?? '', scope: r.scope as never, createdBy: principal.id }),
        ),
      ),
      RevokeApiKey: this.unary('admin', 'RevokeApiKey', async (r) =>
        record(await this.revokeApiKey.execute({ id: id(r) })),
      ),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        `${this.config.grpcHost}:${this.config.grpcPort}`,
        ServerCredentials.createInsecure(),
        (error, port) => (error ? reject(error) : resolve(port)),
      ),
    );
    this.server = server;
    this.telemetry.logger.info({ port: this.port }, 'gateway gRPC listening');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private sources(): UntypedServiceImplementation {
    return {
      CreateSource: this.unary('write', 'CreateSource', async (r) => {
        const registration = SourceRegistration.parse(JSON.parse(r.registrationJson || '{}'));
        return record(await this.registerSource.execute({ ...registration, correlationId: randomUUID() }));
      }),
      ListSources: this.unary('read', 'ListSources', async (r) =>
        page(await this.listSources.execute({ ...pageOf(r), status: opt(r.status) as never, kind: opt(r.kind) })),
      ),
      GetSource: this.unary('read', 'GetSource', async (r) => record(await this.getSource.execute({ id: id(r) }))),
      TestSourceConnection: this.unary('write', 'TestSourceConnection', async (r) =>
        record(await this.testConnection.execute({ id: id(r) })),
      ),
      AnalyzeSource: this.unary('write', 'AnalyzeSource', async (r) =>
        record(await this.analyzeSource.execute({ id: id(r), correlationId: randomUUID() })),
      ),
    };
  }

  private pipelines(): UntypedServiceImplementation {
    const status = (action: 'pause' | 'resume' | 'delete') => async (r: Req) =>
      record(await this.changePipelineStatus.execute({ id: id(r), action }));
    return {
      CreatePipeline: this.unary('write', 'CreatePipeline', async (r) =>
        record(
          await this.createPipeline.execute({
            ...(JSON.parse(r.pipelineJson || '{}') as object),
            correlationId: randomUUID(),
          } as never),
        ),
      ),
      ListPipelines: this.unary('read', 'ListPipelines', async (r) =>
        page(
          await this.listPipelines.execute({ ...pageOf(r), sourceId: opt(r.sourceId), status: opt(r.status) as never }),
        ),
      ),
      GetPipeline: this.unary('read', 'GetPipeline', async (r) =>
        record(await this.getPipeline.execute({ id: id(r) })),
      ),
      SchedulePipeline: this.unary('write', 'SchedulePipeline', async (r) =>
        record(await this.schedulePipeline.execute({ id: id(r), schedule: r.schedule || null })),
      ),
      PausePipeline: this.unary('write', 'PausePipeline', status('pause')),
      ResumePipeline: this.unary('write', 'ResumePipeline', status('resume')),
      DeletePipeline: this.unary('write', 'DeletePipeline', status('delete')),
    };
  }

  private runs(): UntypedServiceImplementation {
    return {
      StartRun: this.unary('write', 'StartRun', async (r, principal) =>
        record(
          await this.startRun.execute({
            pipelineId: r.pipelineId ?? '',
            planVersion: r.planVersion || undefined,
            requestedBy: principal.id,
          }),
        ),
      ),
      ListRuns: this.unary('read', 'ListRuns', async (r) =>
        page(
          await this.listRuns.execute({ ...pageOf(r), pipelineId: opt(r.pipelineId), status: opt(r.status) as never }),
        ),
      ),
      GetRun: this.unary('read', 'GetRun', async (r) => record(await this.getRun.execute({ id: id(r) }))),
      CancelRun: this.unary('write', 'CancelRun', async (r, principal) =>
        record(await this.cancelRun.execute({ id: id(r), reason: opt(r.reason), requestedBy: principal.id })),
      ),
      WatchRun: (call: ServerWritableStream<Req, unknown>) => void this.watchRun(call),
    };
  }

  private async watchRun(call: ServerWritableStream<Req, unknown>): Promise<void> {
    try {
      await this.access.authorize(credentialsOf(call.metadata), 'read');
    } catch (error) {
      call.emit('error', this.grpcError(error));
      return;
    }
    const runId = call.request.id ?? '';
    if (!runId) {
      call.emit('error', this.grpcError(new SyntaxError('id is required')));
      return;
    }
    const unwatch = this.hub.watch(runId, (event) => {
      const payload = event.payload as { taskId?: string; status: string; at: string };
      call.write({
        subject: event.subject,
        type: event.type,
        runId,
        taskId: payload.taskId ?? '',
        status: payload.status,
        at: payload.at,
        payloadJson: JSON.stringify(event.payload),
      });
      if (TERMINAL_RUN_EVENTS.has(event.type)) {
        unwatch();
        call.end();
      }
    });
    call.on('cancelled', unwatch);
    call.on('close', unwatch);
  }

  private unary(scope: Scope, method: string, handler: Handler) {
    return (call: ServerUnaryCall<Req, unknown>, callback: sendUnaryData<unknown>): void => {
      void this.handle(scope, method, handler, call, callback);
    };
  }

  private async handle(
    scope: Scope,
    method: string,
    handler: Handler,
    call: ServerUnaryCall<Req, unknown>,
    callback: sendUnaryData<unknown>,
  ): Promise<void> {
    let principal: Principal | undefined;
    try {
      principal = await this.access.authorize(credentialsOf(call.metadata), scope);
      const reply = await handler(call.request, principal);
      if (scope !== 'read') await this.recordAudit(principal, method, call.request, 200);
      callback(null, reply);
    } catch (error) {
      const grpcError = this.grpcError(error);
      if (scope !== 'read') await this.recordAudit(principal, method, call.request, auditStatusOf(grpcError.code));
      callback(grpcError);
    }
  }

  private grpcError(error: unknown) {
    const grpcError = toGrpcError(error);
    if (grpcError.internal) this.telemetry.logger.error({ err: error }, 'gRPC call failed');
    return grpcError;
  }

  private recordAudit(principal: Principal | undefined, method: string, request: Req, statusCode: number) {
    return this.audit.execute({
      actor: principal?.id ?? 'unauthorised',
      action: `grpc ${method}`,
      target: opt(request.id) ?? opt(request.pipelineId),
      result: statusCode < 400 ? 'succeeded' : statusCode === 401 || statusCode === 403 ? 'denied' : 'failed',
      statusCode,
    });
  }
}

function credentialsOf(metadata: Metadata) {
  const first = (key: string) => {
    const value = metadata.get(key)[0];
    return typeof value === 'string' ? value : undefined;
  };
  return { authorization: first('authorization'), apiKey: first('x-api-key') };
}
