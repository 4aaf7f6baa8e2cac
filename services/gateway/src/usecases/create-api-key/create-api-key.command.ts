import { z } from 'zod';
import { ApiKeyScope } from '@aoe/store';

export const CreateApiKeyBody = z.strictObject({ name: z.string().min(1).max(200), scope: ApiKeyScope });
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>;

export const CreateApiKeyCommand = CreateApiKeyBody.extend({
  /** Who asked: a principal id, or `cli:<user>` when the CLI calls the use case directly. */
  createdBy: z.string().min(1),
});
export type CreateApiKeyCommand = z.infer<typeof CreateApiKeyCommand>;
