import { createHash } from 'node:crypto';

/** A deterministic source of numbers in [0, 1) from a text seed (mulberry32), so a fault schedule replays exactly. */
export function seededRandom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max], both included. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** One key of `weights`, chosen with probability proportional to its weight. */
export function weightedPick<K extends string>(random: () => number, weights: Readonly<Record<K, number>>): K {
  const entries = (Object.entries(weights) as Array<[K, number]>).filter(([, w]) => w > 0);
  if (entries.length === 0) throw new Error('weightedPick: every weight is zero');
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let point = random() * total;
  for (const [key, weight] of entries) {
    point -= weight;
    if (point < 0) return key;
  }
  return entries[entries.length - 1][0];
}
