import { z } from 'zod';
import { Id } from '@aoe/contracts';
import { PipelineStatus } from '@aoe/store';
import { PageQuery } from '../../http/schemas';

export const ListPipelinesCommand = PageQuery.extend({ sourceId: Id.optional(), status: PipelineStatus.optional() });
export type ListPipelinesCommand = z.input<typeof ListPipelinesCommand>;
