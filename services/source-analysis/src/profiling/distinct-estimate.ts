/**
 * The number of distinct values in a population from a sample, with the
 * Haas–Stokes "Duj1" estimator (the one PostgreSQL's ANALYZE uses):
 *
 *   D = n·d / (n − f1 + f1·n/N)
 *
 * where n is the number of sampled non-null values, d the distinct values among
 * them, f1 the values seen exactly once, and N the non-null values in the
 * population. A column whose sampled values are all different scales to N; one
 * whose values all repeat stays at d. Clamped to [d, N]; exact when the sample
 * is the whole population.
 */
export function estimateDistinct(input: {
  sampled: number;
  distinct: number;
  singletons: number;
  population: number;
}): number {
  const { sampled: n, distinct: d, singletons: f1 } = input;
  const population = Math.max(input.population, n);
  if (n === 0 || d === 0) return 0;
  if (population <= n) return d;
  const denominator = n - f1 + (f1 * n) / population;
  const estimate = denominator <= 0 ? population : (n * d) / denominator;
  return Math.round(Math.min(population, Math.max(d, estimate)));
}
