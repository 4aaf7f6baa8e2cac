import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { AlertRecord, Page } from '@aoe/store';
import { RequireScope } from '../auth/scope';
import { ZodQueryPipe } from '../http/zod-query.pipe';
import { AcknowledgeAlertUseCase } from '../usecases/acknowledge-alert/acknowledge-alert.usecase';
import { ListAlertsCommand } from '../usecases/list-alerts/list-alerts.command';
import { ListAlertsUseCase } from '../usecases/list-alerts/list-alerts.usecase';

@Controller('v1/alerts')
export class AlertsController {
  constructor(
    private readonly listAlerts: ListAlertsUseCase,
    private readonly acknowledgeAlert: AcknowledgeAlertUseCase,
  ) {}

  @Get()
  @RequireScope('read')
  list(@Query(new ZodQueryPipe(ListAlertsCommand)) query: ListAlertsCommand): Promise<Page<AlertRecord>> {
    return this.listAlerts.execute(query);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @RequireScope('write')
  acknowledge(@Param('id') id: string): Promise<AlertRecord> {
    return this.acknowledgeAlert.execute({ id });
  }
}
