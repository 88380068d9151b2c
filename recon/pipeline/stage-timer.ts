/** Wall time per named stage, and the process's peak resident memory, for reports. */
export class StageTimer {
  readonly ms: Record<string, number> = {};
  private peakRss = process.memoryUsage().rss;

  time<T>(stage: string, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.ms[stage] = (this.ms[stage] ?? 0) + (performance.now() - t0);
      this.sampleMemory();
    }
  }

  async timeAsync<T>(stage: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.ms[stage] = (this.ms[stage] ?? 0) + (performance.now() - t0);
      this.sampleMemory();
    }
  }

  sampleMemory(): void {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage().rss);
  }

  get peakRssMB(): number {
    return this.peakRss / (1024 * 1024);
  }
}
