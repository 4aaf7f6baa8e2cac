/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): a delay drawn uniformly from
 * [0, min(cap, base × 2^(attempt−1))], so replicas retrying the same source
 * spread out instead of arriving together.
 */
export function fullJitterBackoff(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(Math.min(1, Math.max(0, random())) * ceiling);
}

/** How long a circuit stays open at its n-th trip (1 = first): the cool-down doubled per trip, capped. */
export function circuitCooldown(trip: number, cooldownMs: number, maxCooldownMs: number): number {
  return Math.min(maxCooldownMs, cooldownMs * 2 ** Math.max(0, trip - 1));
}
