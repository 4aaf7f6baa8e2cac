import { z } from 'zod';
import { BooleanParam, PageQuery } from '../../http/schemas';

export const ListDeadLettersCommand = PageQuery.extend({
  service: z.string().min(1).optional(),
  replayed: z.union([z.boolean(), BooleanParam]).optional(),
});
export type ListDeadLettersCommand = z.input<typeof ListDeadLettersCommand>;
