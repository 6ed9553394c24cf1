import { Worker } from 'node:worker_threads';
import { CryptoLambdaError, endWorker } from '../domain/index.js';
import type { BronzeRequest, BronzeResponse } from './bronze-worker.js';
import { LAKE_ERRORS } from './errors.js';

/** A raw record formatted for bronze: a gzip member of its JSON lines. */
export interface BronzeMember {
  member: Uint8Array;
  lines: number;
}

/** Formats raw records for bronze in a worker thread of the lake's own. */
export interface BronzeFormatter {
  format(record: Uint8Array): Promise<BronzeMember>;
  close(): Promise<void>;
}

const ENTRY = new URL('./bronze-worker.js', import.meta.url);

export function startBronzeFormatter(): BronzeFormatter {
  const worker = new Worker(ENTRY);
  // Referenced only while records are out, so an idle formatter never keeps the process alive.
  worker.unref();
  const pending = new Map<number, { resolve(m: BronzeMember): void; reject(e: unknown): void }>();
  let nextId = 0;
  const failAll = (error: unknown): void => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('message', (response: BronzeResponse) => {
    const p = pending.get(response.id);
    pending.delete(response.id);
    if (pending.size === 0) worker.unref();
    if (p === undefined) return;
    if ('error' in response) p.reject(new CryptoLambdaError(LAKE_ERRORS.io, `bronze: ${response.error}`));
    else p.resolve({ member: response.member, lines: response.lines });
  });
  worker.on('error', (error) =>
    failAll(new CryptoLambdaError(LAKE_ERRORS.io, 'the bronze worker failed', { cause: error })),
  );
  return {
    format(record) {
      // A copy the worker owns: a view would transfer (and detach) the log's read buffer.
      const bytes = record.slice();
      worker.ref();
      return new Promise<BronzeMember>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, bytes } satisfies BronzeRequest, [bytes.buffer as ArrayBuffer]);
      });
    },
    async close() {
      failAll(new CryptoLambdaError(LAKE_ERRORS.io, 'the lake writer closed'));
      // Asked to close its port after the records it has, not terminated: see endWorker.
      await endWorker(worker, () => worker.postMessage({ close: true } satisfies BronzeRequest), 5000);
    },
  };
}
