import { z } from 'zod';

/** What every service reads from its environment in mesh mode. */
export const ServiceEnvironment = z.object({
  NATS_URL: z.string().min(1, 'NATS_URL is required in mesh mode'),
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required in mesh mode'),
  /** Prefix for streams and subjects, when several environments share one NATS. */
  AOE_BUS_NAMESPACE: z.string().optional(),
  AOE_STORE_SCHEMA: z.string().default('aoe'),
  /** Store connections this process may hold (keep replicas × this under the server's max_connections). */
  AOE_STORE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(0),
});
export type ServiceEnvironment = z.infer<typeof ServiceEnvironment>;

export function readServiceEnvironment(env: NodeJS.ProcessEnv = process.env): ServiceEnvironment {
  const parsed = ServiceEnvironment.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `invalid service environment: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
