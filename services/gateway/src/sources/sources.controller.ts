import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { SourceRegistration } from '@aoe/contracts';
import type { SourceRecord } from '@aoe/store';
import { ZodBodyPipe } from '../http/zod-body.pipe';
import { GetSourceUseCase } from '../usecases/get-source/get-source.usecase';
import { RegisterSourceUseCase } from '../usecases/register-source/register-source.usecase';

@Controller('v1/sources')
export class SourcesController {
  constructor(
    private readonly registerSource: RegisterSourceUseCase,
    private readonly getSource: GetSourceUseCase,
  ) {}

  /** Registers a source and starts its analysis; 202 because the analysis runs on. */
  @Post()
  @HttpCode(202)
  create(
    @Body(new ZodBodyPipe(SourceRegistration, 'SourceRegistration')) body: SourceRegistration,
    @Headers('x-request-id') requestId?: string,
  ): Promise<SourceRecord> {
    return this.registerSource.execute({ ...body, correlationId: requestId ?? randomUUID() });
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<SourceRecord> {
    return this.getSource.execute(id);
  }
}
