/**
 * Bounds how many deliveries a replica handles at once. `run` waits for a free
 * slot, starts the work, and returns without waiting for it to finish.
 */
export class InFlight {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly limit: number) {}

  async run(work: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    const task = work().finally(() => this.running.delete(task));
    this.running.add(task);
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
  }

  get size(): number {
    return this.running.size;
  }
}
