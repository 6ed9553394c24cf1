import { type ResourceLimits, Worker } from 'node:worker_threads';
import { CryptoLambdaError, endWorker } from '../../domain/index.js';
import { INGEST_ERRORS } from '../errors.js';
import type { Source, SourceBatch, SourceRunOptions, SourceState } from '../source.js';
import { createSeriesTable, type FromWorker, unpackTrades, type WorkerInit } from './protocol.js';
import { openSource, type SourceSpec } from './spec.js';

/** How a worker-thread source runs. */
export interface WorkerSourceOptions {
  /**
   * Batches the worker may have sent that the consumer has not taken yet; past it the worker
   * waits (and its source with it), so a slow consumer bounds the memory.
   * @default 4
   */
  maxBatchesInFlight: number;
  /**
   * Heap limits of the worker thread; a worker that exceeds them is ended and the source fails
   * with `INGEST_WORKER_FAILED`.
   * @default undefined: Node's defaults
   */
  resourceLimits: ResourceLimits | undefined;
}

export const WORKER_SOURCE_DEFAULTS: WorkerSourceOptions = {
  maxBatchesInFlight: 4,
  resourceLimits: undefined,
};

/** A source running in a worker thread. */
export interface WorkerSource extends Source {
  /** Batches received from the worker and not yet taken by the consumer (fewer than `maxBatchesInFlight`). */
  buffered(): number;
  /**
   * Resolves once the worker thread the next run will use has loaded its code (or has died:
   * the run reports that). Loading takes a few hundred ms; nothing needs to wait for it, but a
   * benchmark can leave it out of a throughput figure.
   */
  ready(): Promise<void>;
}

const ENTRY = new URL('./entry.js', import.meta.url);

/** How long a worker asked to stop may take to end its source before it is terminated. */
const STOP_GRACE_MS = 2000;

type Event =
  | FromWorker
  | { type: 'crash'; error: Error }
  | { type: 'exit'; code: number }
  | { type: 'abort' };

/** A spawned worker and the events it sent, in order, until someone takes them. */
interface Channel {
  worker: Worker;
  /** Settles when the worker has loaded its code, or has died. */
  ready: Promise<void>;
  /** Batches received and not yet taken. */
  buffered: number;
  next(): Promise<Event>;
  push(event: Event): void;
}

/**
 * Spawns the worker; it loads its code at once but waits for `start`. Unreferenced until then,
 * so a source made and never run does not keep the process alive.
 */
function spawn(spec: SourceSpec, opts: WorkerSourceOptions): Channel {
  const init: WorkerInit = { spec, credits: opts.maxBatchesInFlight };
  const worker = new Worker(ENTRY, {
    workerData: init,
    ...(opts.resourceLimits === undefined ? {} : { resourceLimits: opts.resourceLimits }),
  });
  const events: Event[] = [];
  let wake: (() => void) | undefined;
  let loaded: () => void = () => undefined;
  const channel: Channel = {
    worker,
    ready: new Promise<void>((resolve) => {
      loaded = resolve;
    }),
    buffered: 0,
    next: () =>
      events.length > 0
        ? Promise.resolve(events.shift() as Event)
        : new Promise<Event>((resolve) => {
            wake = () => resolve(events.shift() as Event);
          }),
    push(event) {
      if (event.type !== 'batch') loaded();
      if (event.type === 'ready') return;
      if (event.type === 'batch') channel.buffered++;
      events.push(event);
      const w = wake;
      wake = undefined;
      w?.();
    },
  };
  worker.on('message', (message: FromWorker) => channel.push(message));
  worker.on('error', (error: Error) => channel.push({ type: 'crash', error }));
  worker.on('exit', (code: number) => channel.push({ type: 'exit', code }));
  // After the listeners: a 'message' listener refs the worker's port again.
  worker.unref();
  return channel;
}

/**
 * Runs the source a spec describes in a worker thread, so that parsing and encoding its trades
 * take another core: each batch arrives with `encodedTrades` (the log's bytes, made in the
 * worker) and its trades decoded from them, and with `encodedRaw` (the raw record, made in the
 * worker) in place of `raw`. Positions, `fromPosition`, errors (with their codes)
 * and states are those of the source run in this thread (`openSource(spec)`); aborting the
 * signal stops the worker, and a worker that dies makes the source `failed` with
 * `INGEST_WORKER_FAILED`.
 *
 * The worker is spawned here, so that loading its code overlaps whatever the caller does before
 * running the source (opening the log); each later run spawns a fresh one.
 * @throws CryptoLambdaError for bad options, at once, as `openSource` does.
 * @example
 * const source = runInWorker({ kind: 'replay', path: 'BTCUSDT-aggTrades-2025-01-01.csv.gz' });
 * await writer.run(source, signal);
 */
export function runInWorker(spec: SourceSpec, options: Partial<WorkerSourceOptions> = {}): WorkerSource {
  const opts: WorkerSourceOptions = { ...WORKER_SOURCE_DEFAULTS, ...options };
  const limit = opts.maxBatchesInFlight;
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= 1024)) {
    throw new CryptoLambdaError(
      INGEST_ERRORS.badOption,
      `maxBatchesInFlight must be an integer in [1, 1024], got ${limit}`,
    );
  }
  // Validates the options here, where the caller is, and gives the in-thread source's name.
  const { name } = openSource(spec);
  let state: SourceState = 'idle';
  let warm: Channel | undefined = spawn(spec, opts);
  let current: Channel | undefined;

  async function* batches(run: SourceRunOptions): AsyncGenerator<SourceBatch> {
    state = 'running';
    const { signal } = run;
    const channel = warm ?? spawn(spec, opts);
    warm = undefined;
    current = channel;
    const { worker } = channel;
    // This run's worker numbers series from 0.
    const seriesTable = createSeriesTable();
    const onAbort = (): void => {
      worker.postMessage({ type: 'stop' });
      channel.push({ type: 'abort' });
    };
    try {
      if (signal.aborted) {
        state = 'stopped';
        return;
      }
      worker.ref();
      signal.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ type: 'start', fromPosition: run.fromPosition });
      for (;;) {
        const event = await channel.next();
        switch (event.type) {
          case 'batch': {
            channel.buffered--;
            if (channel.buffered >= limit) {
              throw workerFailed(`${name}: its worker sent more batches than allowed`);
            }
            if (signal.aborted) {
              state = 'stopped';
              return;
            }
            const { trades, encoded, keys } = unpackTrades(
              event.buffer,
              event.ends,
              event.series,
              event.named,
              seriesTable,
            );
            const batch: SourceBatch = {
              trades,
              encodedTrades: encoded,
              keys,
              rejected: event.rejected,
              ignored: event.ignored,
              position: event.position,
            };
            if (event.raw !== undefined) batch.encodedRaw = new Uint8Array(event.raw);
            yield batch;
            // Taken: the worker may send one more.
            worker.postMessage({ type: 'credit' });
            break;
          }
          case 'ready':
            break;
          case 'end':
            state = signal.aborted ? 'stopped' : event.state;
            return;
          case 'abort':
            state = 'stopped';
            return;
          case 'error':
            throw new CryptoLambdaError(event.code, event.message, { retryable: event.retryable });
          case 'crash':
            throw workerFailed(`${name}: its worker thread crashed: ${event.error.message}`, event.error);
          case 'exit':
            throw workerFailed(
              `${name}: its worker thread exited (code ${event.code}) before the source ended`,
            );
        }
      }
    } catch (error) {
      state = 'failed';
      throw error;
    } finally {
      // The consumer left the loop early.
      if (state === 'running') state = 'stopped';
      signal.removeEventListener('abort', onAbort);
      channel.buffered = 0;
      worker.removeAllListeners();
      // Errors after this point have nowhere to go; the thread is ending anyway.
      worker.on('error', () => undefined);
      // Asked, not terminated: see endWorker. A worker that already ended its run has let go of
      // its port and exits by itself.
      await endWorker(worker, () => worker.postMessage({ type: 'stop' }), STOP_GRACE_MS);
    }
  }

  return {
    name,
    state: () => state,
    buffered: () => current?.buffered ?? 0,
    ready() {
      warm ??= spawn(spec, opts);
      return warm.ready;
    },
    batches,
  };
}

function workerFailed(message: string, cause?: unknown): CryptoLambdaError {
  return new CryptoLambdaError(INGEST_ERRORS.workerFailed, message, { cause });
}
