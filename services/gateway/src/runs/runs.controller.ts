import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { Page, RunRecord } from '@aoe/store';
import { Caller } from '../auth/caller.decorator';
import { RequireScope } from '../auth/scope';
import { ZodBodyPipe } from '../http/zod-body.pipe';
import { ZodQueryPipe } from '../http/zod-query.pipe';
import { CancelRunBody } from '../usecases/cancel-run/cancel-run.command';
import { CancelRunUseCase, type CancelAccepted } from '../usecases/cancel-run/cancel-run.usecase';
import { GetRunUseCase, type RunDetail } from '../usecases/get-run/get-run.usecase';
import { ListRunsCommand } from '../usecases/list-runs/list-runs.command';
import { ListRunsUseCase } from '../usecases/list-runs/list-runs.usecase';
import { StartRunBody } from '../usecases/start-run/start-run.command';
import { StartRunUseCase, type RunAccepted } from '../usecases/start-run/start-run.usecase';

@Controller('v1/runs')
export class RunsController {
  constructor(
    private readonly startRun: StartRunUseCase,
    private readonly listRuns: ListRunsUseCase,
    private readonly getRun: GetRunUseCase,
    private readonly cancelRun: CancelRunUseCase,
  ) {}

  /** 202: the dispatcher starts the run; follow it with GET /v1/runs/{runId}. */
  @Post()
  @HttpCode(202)
  @RequireScope('write')
  start(
    @Body(new ZodBodyPipe(StartRunBody, 'StartRun')) body: StartRunBody,
    @Caller() caller: string,
    @Headers('x-request-id') requestId?: string,
  ): Promise<RunAccepted> {
    return this.startRun.execute({ ...body, requestedBy: caller, correlationId: requestId });
  }

  @Get()
  @RequireScope('read')
  list(@Query(new ZodQueryPipe(ListRunsCommand)) query: ListRunsCommand): Promise<Page<RunRecord>> {
    return this.listRuns.execute(query);
  }

  @Get(':id')
  @RequireScope('read')
  get(@Param('id') id: string): Promise<RunDetail> {
    return this.getRun.execute({ id });
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @RequireScope('write')
  cancel(
    @Param('id') id: string,
    @Body(new ZodBodyPipe(CancelRunBody.optional(), 'CancelRun')) body: CancelRunBody | undefined,
    @Caller() caller: string,
  ): Promise<CancelAccepted> {
    return this.cancelRun.execute({ id, reason: body?.reason, requestedBy: caller });
  }
}
