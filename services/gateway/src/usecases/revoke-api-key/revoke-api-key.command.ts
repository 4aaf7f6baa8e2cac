import { z } from 'zod';

export const RevokeApiKeyCommand = z.strictObject({ id: z.string().min(1).max(200) });
export type RevokeApiKeyCommand = z.infer<typeof RevokeApiKeyCommand>;
