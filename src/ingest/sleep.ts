import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms` (nothing when ≤ 0); resolves false, early, when `signal` aborts. */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (!(ms > 0)) return true;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Lets timers and I/O run between batches of a source that never waits on anything. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
