import { z } from 'zod';
import { BooleanParam, PageQuery } from '../../http/schemas';

export const ListApiKeysCommand = PageQuery.extend({ revoked: z.union([z.boolean(), BooleanParam]).optional() });
export type ListApiKeysCommand = z.input<typeof ListApiKeysCommand>;
