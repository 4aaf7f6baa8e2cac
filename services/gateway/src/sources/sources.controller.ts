import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { SourceRegistration } from '@aoe/contracts';
import type { CheckResult } from '@aoe/connectors';
import type { Page, SourceRecord } from '@aoe/store';
import { RequireScope } from '../auth/scope';
import { ZodBodyPipe } from '../http/zod-body.pipe';
import { ZodQueryPipe } from '../http/zod-query.pipe';
import { AnalyzeSourceUseCase } from '../usecases/analyze-source/analyze-source.usecase';
import { GetSourceUseCase } from '../usecases/get-source/get-source.usecase';
import { ListSourcesCommand } from '../usecases/list-sources/list-sources.command';
import { ListSourcesUseCase } from '../usecases/list-sources/list-sources.usecase';
import { RegisterSourceUseCase } from '../usecases/register-source/register-source.usecase';
import { TestSourceConnectionUseCase } from '../usecases/test-source-connection/test-source-connection.usecase';

@Controller('v1/sources')
export class SourcesController {
  constructor(
    private readonly registerSource: RegisterSourceUseCase,
    private readonly getSource: GetSourceUseCase,
    private readonly listSources: ListSourcesUseCase,
    private readonly testConnection: TestSourceConnectionUseCase,
    private readonly analyzeSource: AnalyzeSourceUseCase,
  ) {}

  /** Registers a source and starts its analysis; 202 because the analysis runs on. */
  @Post()
  @HttpCode(202)
  @RequireScope('write')
  create(
    @Body(new ZodBodyPipe(SourceRegistration, 'SourceRegistration')) body: SourceRegistration,
    @Headers('x-request-id') requestId?: string,
  ): Promise<SourceRecord> {
    return this.registerSource.execute({ ...body, correlationId: requestId ?? randomUUID() });
  }

  @Get()
  @RequireScope('read')
  list(@Query(new ZodQueryPipe(ListSourcesCommand)) query: ListSourcesCommand): Promise<Page<SourceRecord>> {
    return this.listSources.execute(query);
  }

  @Get(':id')
  @RequireScope('read')
  get(@Param('id') id: string): Promise<SourceRecord> {
    return this.getSource.execute({ id });
  }

  @Post(':id/test-connection')
  @HttpCode(200)
  @RequireScope('write')
  test(@Param('id') id: string): Promise<CheckResult> {
    return this.testConnection.execute({ id });
  }

  @Post(':id/analyze')
  @HttpCode(202)
  @RequireScope('write')
  analyze(@Param('id') id: string, @Headers('x-request-id') requestId?: string): Promise<SourceRecord> {
    return this.analyzeSource.execute({ id, correlationId: requestId ?? randomUUID() });
  }
}
