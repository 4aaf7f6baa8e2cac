import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** contracts/proto, found from this file in the sources or in dist/. */
export function protoRoot(from: string = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'contracts', 'proto');
    if (existsSync(join(candidate, 'aoe', 'v1', 'gateway.proto'))) return candidate;
  }
  throw new Error(`contracts/proto not found above ${from}`);
}

export const GATEWAY_PROTO = 'aoe/v1/gateway.proto';
