import { Injectable } from '@nestjs/common';
import { GatewayConfig } from '../config/gateway.config';

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** A token bucket per principal, in this replica's memory. */
@Injectable()
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly config: GatewayConfig) {}

  /** The clock; tests replace it. */
  now: () => number = Date.now;

  /** 0 when the request may pass; otherwise the seconds until a token is free. */
  take(principal: string): number {
    const { ratePerSecond, burst } = this.config.rateLimit;
    const now = this.now();
    const bucket = this.buckets.get(principal) ?? { tokens: burst, updatedMs: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * ratePerSecond);
    bucket.updatedMs = now;
    this.buckets.set(principal, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond));
  }
}
