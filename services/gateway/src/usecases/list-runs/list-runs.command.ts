import { z } from 'zod';
import { Id } from '@aoe/contracts';
import { RunRecordStatus } from '@aoe/store';
import { PageQuery } from '../../http/schemas';

export const ListRunsCommand = PageQuery.extend({ pipelineId: Id.optional(), status: RunRecordStatus.optional() });
export type ListRunsCommand = z.input<typeof ListRunsCommand>;
