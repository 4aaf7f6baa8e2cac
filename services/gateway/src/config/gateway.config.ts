import { z } from 'zod';

/** The gateway's own settings, read from the environment once at start-up. */
export const GatewayEnvironment = z.object({
  /** gRPC listen port; 0 picks a free one; unset or -1 turns gRPC off. */
  AOE_GRPC_PORT: z.coerce.number().int().min(-1).max(65535).default(-1),
  AOE_GRPC_HOST: z.string().default('127.0.0.1'),
  /** Bus namespace (subject prefix) the run-event stream listens on. */
  AOE_BUS_NAMESPACE: z.string().optional(),
  /** JWT bearer tokens are accepted when all three are set. */
  AOE_JWT_ISSUER: z.string().optional(),
  AOE_JWT_AUDIENCE: z.string().optional(),
  AOE_JWKS_URL: z.url().optional(),
  /** Token bucket per principal: refill rate (requests per second) and burst. */
  AOE_RATE_LIMIT_RPS: z.coerce.number().positive().default(50),
  AOE_RATE_LIMIT_BURST: z.coerce.number().int().positive().default(100),
  /** How long a status read may be served from the cache. */
  AOE_STATUS_CACHE_MS: z.coerce.number().int().min(0).default(1000),
  /** How long a verified API key is trusted before the store is asked again (also the revocation delay). */
  AOE_API_KEY_CACHE_MS: z.coerce.number().int().min(0).default(5000),
});
export type GatewayEnvironment = z.infer<typeof GatewayEnvironment>;

export interface JwtSettings {
  issuer: string;
  audience: string;
  jwksUrl: string;
}

export class GatewayConfig {
  readonly grpcPort: number;
  readonly grpcHost: string;
  readonly busNamespace?: string;
  readonly jwt?: JwtSettings;
  readonly rateLimit: { ratePerSecond: number; burst: number };
  readonly statusCacheMs: number;
  readonly apiKeyCacheMs: number;

  constructor(env: GatewayEnvironment) {
    this.grpcPort = env.AOE_GRPC_PORT;
    this.grpcHost = env.AOE_GRPC_HOST;
    this.busNamespace = env.AOE_BUS_NAMESPACE;
    this.jwt =
      env.AOE_JWT_ISSUER && env.AOE_JWT_AUDIENCE && env.AOE_JWKS_URL
        ? { issuer: env.AOE_JWT_ISSUER, audience: env.AOE_JWT_AUDIENCE, jwksUrl: env.AOE_JWKS_URL }
        : undefined;
    this.rateLimit = { ratePerSecond: env.AOE_RATE_LIMIT_RPS, burst: env.AOE_RATE_LIMIT_BURST };
    this.statusCacheMs = env.AOE_STATUS_CACHE_MS;
    this.apiKeyCacheMs = env.AOE_API_KEY_CACHE_MS;
  }

  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
    const parsed = GatewayEnvironment.safeParse(env);
    if (!parsed.success) {
      throw new Error(
        `invalid gateway environment: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`,
      );
    }
    return new GatewayConfig(parsed.data);
  }
}
