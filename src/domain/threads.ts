import type { Worker } from 'node:worker_threads';
import type { DurationMs } from './units.js';

/**
 * Ends a worker thread by asking it to finish (`ask` posts whatever message makes it let go of
 * its port) and waiting up to `graceMs` for it to exit on its own; only a worker that does not
 * is terminated.
 *
 * Why not `worker.terminate()` at once: Node 20 aborts the whole process (`Assertion failed:
 * init_done_ && "close before init"`, node_zlib.cc) when a thread is terminated between the
 * creation of a zlib handle and its init, which a thread running `brotliCompressSync` or
 * `gunzipSync` in a loop hits within a few hundred terminations. A thread that exits by itself
 * is never in the middle of a call.
 * @returns how it ended.
 */
export async function endWorker(
  worker: Worker,
  ask: () => void,
  graceMs: DurationMs,
): Promise<'exited' | 'terminated'> {
  // threadId is -1 once the thread has exited.
  if (worker.threadId === -1) return 'exited';
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<'exited'>((resolve) => worker.once('exit', () => resolve('exited')));
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  try {
    ask();
    if ((await Promise.race([exited, late])) === 'exited') return 'exited';
    await worker.terminate();
    return 'terminated';
  } finally {
    clearTimeout(timer);
  }
}
