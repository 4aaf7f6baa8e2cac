import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import type { Page, PipelineRecord } from '@aoe/store';
import { RequireScope } from '../auth/scope';
import { ZodBodyPipe } from '../http/zod-body.pipe';
import { ZodQueryPipe } from '../http/zod-query.pipe';
import { ChangePipelineStatusUseCase } from '../usecases/change-pipeline-status/change-pipeline-status.usecase';
import { CreatePipelineBody } from '../usecases/create-pipeline/create-pipeline.command';
import { CreatePipelineUseCase } from '../usecases/create-pipeline/create-pipeline.usecase';
import { GetPipelineUseCase, type PipelineDetail } from '../usecases/get-pipeline/get-pipeline.usecase';
import { ListPipelinesCommand } from '../usecases/list-pipelines/list-pipelines.command';
import { ListPipelinesUseCase } from '../usecases/list-pipelines/list-pipelines.usecase';
import { SchedulePipelineBody } from '../usecases/schedule-pipeline/schedule-pipeline.command';
import { SchedulePipelineUseCase } from '../usecases/schedule-pipeline/schedule-pipeline.usecase';

@Controller('v1/pipelines')
export class PipelinesController {
  constructor(
    private readonly createPipeline: CreatePipelineUseCase,
    private readonly getPipeline: GetPipelineUseCase,
    private readonly listPipelines: ListPipelinesUseCase,
    private readonly schedulePipeline: SchedulePipelineUseCase,
    private readonly changeStatus: ChangePipelineStatusUseCase,
  ) {}

  /** 202: the analysis and planning of the new pipeline run on. */
  @Post()
  @HttpCode(202)
  @RequireScope('write')
  create(
    @Body(new ZodBodyPipe(CreatePipelineBody, 'CreatePipeline')) body: CreatePipelineBody,
    @Headers('x-request-id') requestId?: string,
  ): Promise<PipelineRecord> {
    return this.createPipeline.execute({ ...body, correlationId: requestId ?? randomUUID() });
  }

  @Get()
  @RequireScope('read')
  list(@Query(new ZodQueryPipe(ListPipelinesCommand)) query: ListPipelinesCommand): Promise<Page<PipelineRecord>> {
    return this.listPipelines.execute(query);
  }

  @Get(':id')
  @RequireScope('read')
  get(@Param('id') id: string): Promise<PipelineDetail> {
    return this.getPipeline.execute({ id });
  }

  @Put(':id/schedule')
  @RequireScope('write')
  schedule(
    @Param('id') id: string,
    @Body(new ZodBodyPipe(SchedulePipelineBody, 'SchedulePipeline')) body: SchedulePipelineBody,
  ): Promise<PipelineRecord> {
    return this.schedulePipeline.execute({ id, schedule: body.schedule });
  }

  @Post(':id/pause')
  @HttpCode(200)
  @RequireScope('write')
  pause(@Param('id') id: string): Promise<PipelineRecord> {
    return this.changeStatus.execute({ id, action: 'pause' });
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequireScope('write')
  resume(@Param('id') id: string): Promise<PipelineRecord> {
    return this.changeStatus.execute({ id, action: 'resume' });
  }

  /** Soft delete: the pipeline and its runs stay in the store; lists leave it out. */
  @Delete(':id')
  @RequireScope('write')
  remove(@Param('id') id: string): Promise<PipelineRecord> {
    return this.changeStatus.execute({ id, action: 'delete' });
  }
}
