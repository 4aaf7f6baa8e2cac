import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ApiKeysController } from './admin/api-keys.controller';
import { AlertsController } from './alerts/alerts.controller';
import { AccessControl } from './auth/access-control';
import { AuthGuard } from './auth/auth.guard';
import { RateLimiter } from './auth/rate-limiter';
import { GatewayConfig } from './config/gateway.config';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { DecisionsController } from './decisions/decisions.controller';
import { GrpcGateway } from './grpc/grpc.server';
import { RunEventsHub } from './grpc/run-events.hub';
import { AuditInterceptor } from './http/audit.interceptor';
import { StoreErrorsFilter } from './http/store-errors.filter';
import { OpenApiController } from './openapi/openapi.controller';
import { PipelinesController } from './pipelines/pipelines.controller';
import { RunsController } from './runs/runs.controller';
import { SourcesController } from './sources/sources.controller';
import { AcknowledgeAlertUseCase } from './usecases/acknowledge-alert/acknowledge-alert.usecase';
import { AnalyzeSourceUseCase } from './usecases/analyze-source/analyze-source.usecase';
import { CancelRunUseCase } from './usecases/cancel-run/cancel-run.usecase';
import { ChangePipelineStatusUseCase } from './usecases/change-pipeline-status/change-pipeline-status.usecase';
import { CreateApiKeyUseCase } from './usecases/create-api-key/create-api-key.usecase';
import { CreatePipelineUseCase } from './usecases/create-pipeline/create-pipeline.usecase';
import { GetPipelineUseCase } from './usecases/get-pipeline/get-pipeline.usecase';
import { GetRunUseCase } from './usecases/get-run/get-run.usecase';
import { GetSourceUseCase } from './usecases/get-source/get-source.usecase';
import { ListAlertsUseCase } from './usecases/list-alerts/list-alerts.usecase';
import { ListApiKeysUseCase } from './usecases/list-api-keys/list-api-keys.usecase';
import { ListDeadLettersUseCase } from './usecases/list-dead-letters/list-dead-letters.usecase';
import { ListDecisionsUseCase } from './usecases/list-decisions/list-decisions.usecase';
import { ListPipelinesUseCase } from './usecases/list-pipelines/list-pipelines.usecase';
import { ListRunsUseCase } from './usecases/list-runs/list-runs.usecase';
import { ListSourcesUseCase } from './usecases/list-sources/list-sources.usecase';
import { RecordAuditUseCase } from './usecases/record-audit/record-audit.usecase';
import { RegisterSourceUseCase } from './usecases/register-source/register-source.usecase';
import { ReplayDeadLetterUseCase } from './usecases/replay-dead-letter/replay-dead-letter.usecase';
import { RevokeApiKeyUseCase } from './usecases/revoke-api-key/revoke-api-key.usecase';
import { SchedulePipelineUseCase } from './usecases/schedule-pipeline/schedule-pipeline.usecase';
import { StartRunUseCase } from './usecases/start-run/start-run.usecase';
import { SourceConnectionChecker } from './usecases/test-source-connection/source-connection.checker';
import { TestSourceConnectionUseCase } from './usecases/test-source-connection/test-source-connection.usecase';

export const GATEWAY_USE_CASES = [
  RegisterSourceUseCase,
  ListSourcesUseCase,
  GetSourceUseCase,
  TestSourceConnectionUseCase,
  AnalyzeSourceUseCase,
  CreatePipelineUseCase,
  ListPipelinesUseCase,
  GetPipelineUseCase,
  SchedulePipelineUseCase,
  ChangePipelineStatusUseCase,
  StartRunUseCase,
  ListRunsUseCase,
  GetRunUseCase,
  CancelRunUseCase,
  ListAlertsUseCase,
  AcknowledgeAlertUseCase,
  ListDeadLettersUseCase,
  ReplayDeadLetterUseCase,
  ListDecisionsUseCase,
  CreateApiKeyUseCase,
  RevokeApiKeyUseCase,
  ListApiKeysUseCase,
  RecordAuditUseCase,
];

/**
 * The public entry: REST (with its OpenAPI document) and gRPC in, commands on
 * the bus; status reads come from the store. Every /v1 route and RPC is
 * authorised (API key or JWT, scoped), rate limited and, when it writes, audited.
 */
@Module({
  imports: [DeadLettersModule],
  controllers: [
    SourcesController,
    PipelinesController,
    RunsController,
    AlertsController,
    DeadLettersController,
    DecisionsController,
    ApiKeysController,
    OpenApiController,
  ],
  providers: [
    ...GATEWAY_USE_CASES,
    SourceConnectionChecker,
    { provide: GatewayConfig, useFactory: () => GatewayConfig.fromEnvironment() },
    RateLimiter,
    AccessControl,
    RunEventsHub,
    GrpcGateway,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
    { provide: APP_FILTER, useClass: StoreErrorsFilter },
  ],
  exports: [CreateApiKeyUseCase, RevokeApiKeyUseCase, ListApiKeysUseCase],
})
export class GatewayModule {}
