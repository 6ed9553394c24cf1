import { CryptoLambdaError } from '../../domain/index.js';
import { INGEST_ERRORS } from '../errors.js';
import type { ReplayOptions } from '../replay/options.js';
import { openReplay } from '../replay/replay.js';
import { createSimulator, type SimulatorOptions } from '../simulator/simulator.js';
import type { Source } from '../source.js';

/** A replay's options that can cross to a worker thread: all but the clock, which stays here. */
export type WorkerReplayOptions = Omit<ReplayOptions, 'now'>;
/** The simulator's options that can cross to a worker thread: all but the clock. */
export type WorkerSimulatorOptions = Omit<SimulatorOptions, 'now'>;

/**
 * A source described by data alone (JSON-serialisable), so that another thread can build it.
 * @example { kind: 'replay', path: 'XRPETH-aggTrades-2019-10-11.csv.gz', options: { replayRate: 2000 } }
 * @example { kind: 'simulator', options: { tradesPerSec: 50 } }
 */
export type SourceSpec =
  | { kind: 'replay'; path: string; options?: WorkerReplayOptions }
  | { kind: 'simulator'; options?: WorkerSimulatorOptions };

/**
 * Builds the source a spec describes, in this thread. `runInWorker` builds the same source in a
 * worker thread; both have the same name, so a source's saved position carries over.
 * @throws CryptoLambdaError `INGEST_BAD_OPTION` (also for an option that is not plain data),
 *   `INGEST_BAD_SYMBOL`, as `openReplay` and `createSimulator` do.
 */
export function openSource(spec: SourceSpec): Source {
  checkPlainData(spec.options ?? {}, 'options');
  switch (spec.kind) {
    case 'replay':
      return openReplay(spec.path, spec.options ?? {});
    case 'simulator':
      return createSimulator(spec.options ?? {});
    default:
      throw new CryptoLambdaError(
        INGEST_ERRORS.badOption,
        `unknown source kind ${JSON.stringify((spec as { kind?: unknown }).kind)}; use replay or simulator`,
      );
  }
}

/** Functions (a `now` clock) and class instances cannot cross threads; say so before trying. */
function checkPlainData(value: unknown, path: string): void {
  if (value === null || value === undefined) return;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return;
  if (type === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (Array.isArray(value) || proto === Object.prototype || proto === null) {
      for (const [key, item] of Object.entries(value as object)) checkPlainData(item, `${path}.${key}`);
      return;
    }
  }
  throw new CryptoLambdaError(
    INGEST_ERRORS.badOption,
    `${path} is a ${type === 'function' ? 'function' : 'non-plain value'}: a source spec holds data only ` +
      '(run the source in this thread to give it a clock)',
  );
}
