import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import type { Page } from '@aoe/store';
import { Caller } from '../auth/caller.decorator';
import { RequireScope } from '../auth/scope';
import { ZodBodyPipe } from '../http/zod-body.pipe';
import { ZodQueryPipe } from '../http/zod-query.pipe';
import { CreateApiKeyBody } from '../usecases/create-api-key/create-api-key.command';
import { CreateApiKeyUseCase, type ApiKeyView } from '../usecases/create-api-key/create-api-key.usecase';
import { ListApiKeysCommand } from '../usecases/list-api-keys/list-api-keys.command';
import { ListApiKeysUseCase } from '../usecases/list-api-keys/list-api-keys.usecase';
import { RevokeApiKeyUseCase } from '../usecases/revoke-api-key/revoke-api-key.usecase';

@Controller('v1/admin/api-keys')
export class ApiKeysController {
  constructor(
    private readonly createApiKey: CreateApiKeyUseCase,
    private readonly revokeApiKey: RevokeApiKeyUseCase,
    private readonly listApiKeys: ListApiKeysUseCase,
  ) {}

  /** The answer carries the key once; it is never stored or shown again. */
  @Post()
  @RequireScope('admin')
  create(
    @Body(new ZodBodyPipe(CreateApiKeyBody, 'CreateApiKey')) body: CreateApiKeyBody,
    @Caller() caller: string,
  ): Promise<ApiKeyView & { key: string }> {
    return this.createApiKey.execute({ ...body, createdBy: caller });
  }

  @Get()
  @RequireScope('admin')
  list(@Query(new ZodQueryPipe(ListApiKeysCommand)) query: ListApiKeysCommand): Promise<Page<ApiKeyView>> {
    return this.listApiKeys.execute(query);
  }

  @Delete(':id')
  @RequireScope('admin')
  revoke(@Param('id') id: string): Promise<ApiKeyView> {
    return this.revokeApiKey.execute({ id });
  }
}
