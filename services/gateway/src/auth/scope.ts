import { SetMetadata } from '@nestjs/common';
import { ApiKeyScope } from '@aoe/store';

export const Scope = ApiKeyScope;
export type Scope = ApiKeyScope;

const RANK: Record<Scope, number> = { read: 1, write: 2, admin: 3 };

/** admin includes write, write includes read. */
export function grants(held: Scope, required: Scope): boolean {
  return RANK[held] >= RANK[required];
}

export const REQUIRED_SCOPE = 'aoe:required-scope';

/** The scope a route needs; a /v1 route without one is refused (deny by default). */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);

/** Who is calling: `key:<id>` or `jwt:<sub>`, and what they may do. */
export interface Principal {
  id: string;
  scope: Scope;
}
