import { z } from 'zod';
import { SourceSpec } from '@aoe/contracts';
import { SourceStatus } from '@aoe/store';
import { PageQuery } from '../../http/schemas';

export const ListSourcesCommand = PageQuery.extend({
  status: SourceStatus.optional(),
  kind: z.enum(SourceSpec.options.map((o) => o.shape.kind.value) as [string, ...string[]]).optional(),
});
export type ListSourcesCommand = z.input<typeof ListSourcesCommand>;
