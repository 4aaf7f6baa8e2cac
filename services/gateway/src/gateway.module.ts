import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { DeadLetterHandler } from './dead-letters/dead-letter.handler';
import { StoreErrorsFilter } from './http/store-errors.filter';
import { SourcesController } from './sources/sources.controller';
import { GetSourceUseCase } from './usecases/get-source/get-source.usecase';
import { RecordDeadLetterUseCase } from './usecases/record-dead-letter/record-dead-letter.usecase';
import { RegisterSourceUseCase } from './usecases/register-source/register-source.usecase';

/** The public entry: REST in, commands on the bus; status reads come from the store. */
@Module({
  controllers: [SourcesController, DeadLetterHandler],
  providers: [
    RegisterSourceUseCase,
    GetSourceUseCase,
    RecordDeadLetterUseCase,
    { provide: APP_FILTER, useClass: StoreErrorsFilter },
  ],
})
export class GatewayModule {}
