import { parentPort, workerData } from 'node:worker_threads';
import { isCryptoLambdaError } from '../../domain/index.js';
import { INGEST_ERRORS } from '../errors.js';
import type { SourceRunOptions } from '../source.js';
import {
  createSeriesNumbers,
  type FromWorker,
  packRaw,
  packTrades,
  type ToWorker,
  type WorkerInit,
} from './protocol.js';
import { openSource } from './spec.js';

/*
 * The worker thread of `runInWorker`: loads the ingest code as soon as it is spawned, then on
 * `start` builds the source from its spec, runs it, and posts each batch with its trades and
 * raw record encoded, never more batches ahead than it has credits.
 */
const port = parentPort;
if (port === null) throw new Error('ingest/worker/entry.js runs only as a worker thread');
const init = workerData as WorkerInit;
const controller = new AbortController();
let credits = init.credits;
let started = false;
let wake: (() => void) | undefined;

port.on('message', (message: ToWorker) => {
  if (message.type === 'start') {
    if (!started) void run(message.fromPosition);
    started = true;
  } else if (message.type === 'credit') credits++;
  else controller.abort();
  const w = wake;
  wake = undefined;
  w?.();
});

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

post({ type: 'ready' });

async function run(fromPosition: string | undefined): Promise<void> {
  try {
    const source = openSource(init.spec);
    const { signal } = controller;
    const numbers = createSeriesNumbers();
    const options: SourceRunOptions = fromPosition === undefined ? { signal } : { signal, fromPosition };
    for await (const batch of source.batches(options)) {
      while (credits === 0 && !signal.aborted) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (signal.aborted) break;
      credits--;
      const { buffer, ends, series, named } = packTrades(batch.trades, numbers);
      const raw = packRaw(source.name, batch);
      const transfer = [buffer, ends.buffer as ArrayBuffer, series.buffer as ArrayBuffer];
      if (raw !== undefined) transfer.push(raw);
      const { rejected, ignored, position } = batch;
      post({ type: 'batch', buffer, ends, series, named, raw, rejected, ignored, position }, transfer);
    }
    post({ type: 'end', state: source.state() === 'finished' ? 'finished' : 'stopped' });
  } catch (error) {
    post(
      isCryptoLambdaError(error)
        ? { type: 'error', code: error.code, message: error.message, retryable: error.retryable }
        : {
            type: 'error',
            code: INGEST_ERRORS.workerFailed,
            message: `source failed in its worker thread: ${error instanceof Error ? error.message : String(error)}`,
            retryable: false,
          },
    );
  }
  // Nothing more to say: let the thread end once the messages are out.
  port?.unref();
}
