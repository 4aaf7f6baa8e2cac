export type Readiness = 'ready' | 'not-ready' | 'unreachable';

/** GET <url>/readyz: 200 means the replica's bus and store answer. */
export async function probeReadiness(url: string, timeoutMs = 2_000): Promise<Readiness> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok ? 'ready' : 'not-ready';
  } catch {
    return 'unreachable';
  }
}

/**
 * Polls /readyz until it answers 200; fails early when `stillRunning` says the
 * process is gone (it failed to start: its log says why).
 */
export async function waitReady(url: string, stillRunning: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await probeReadiness(url)) === 'ready') return;
    if (!stillRunning()) throw new Error('exited before it was ready');
    if (Date.now() > deadline) throw new Error(`not ready after ${Math.round(timeoutMs / 1000)}s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
