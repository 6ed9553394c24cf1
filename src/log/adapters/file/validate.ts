import { CryptoLambdaError } from '../../../domain/index.js';
import type { AppendRecord } from '../../event-log.js';
import { LOG_ERRORS } from '../../event-log.js';
import type { FileLogOptions } from './options.js';

function invalid(message: string): CryptoLambdaError {
  return new CryptoLambdaError(LOG_ERRORS.invalidArgument, message);
}

export function checkOptions(options: FileLogOptions): FileLogOptions {
  if (options.fsync !== 'always' && options.fsync !== 'never') {
    throw invalid(`fsync must be 'always' or 'never', not ${JSON.stringify(options.fsync)}`);
  }
  // A read chunk must hold at least a frame header.
  const minimums = { segmentBytes: 1, readChunkBytes: 64, indexIntervalBytes: 1, syncIntervalMs: 1 } as const;
  for (const [name, minimum] of Object.entries(minimums) as [keyof typeof minimums, number][]) {
    if (!Number.isInteger(options[name]) || options[name] < minimum) {
      throw invalid(`${name} must be an integer >= ${minimum}`);
    }
  }
  if (!Number.isInteger(options.tailCacheBytes) || options.tailCacheBytes < 0) {
    throw invalid('tailCacheBytes must be an integer >= 0');
  }
  return options;
}

/** Offsets and counts: safe integers >= 0. */
export function checkOffset(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalid(`${name} must be an integer >= 0, not ${value}`);
}

export function checkTimeout(timeoutMs: number): void {
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw invalid(`timeoutMs must be >= 0, not ${timeoutMs}`);
}

export function checkRecords(records: readonly AppendRecord[]): void {
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as AppendRecord;
    if (typeof record.key !== 'string') throw invalid(`record ${i}: key must be a string`);
    if (!(record.value instanceof Uint8Array)) throw invalid(`record ${i}: value must be a Uint8Array`);
    if (typeof record.ts !== 'number' || !Number.isFinite(record.ts)) {
      throw invalid(`record ${i}: ts must be a finite number`);
    }
  }
}
