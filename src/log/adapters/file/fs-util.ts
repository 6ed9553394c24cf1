import { mkdir, open } from 'node:fs/promises';
import { CryptoLambdaError } from '../../../domain/index.js';
import { writeFileAtomic } from '../../atomic-file.js';
import { LOG_ERRORS } from '../../event-log.js';

/** Flushes a directory's entries (new, renamed, deleted files) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces a small metadata file (topic config, consumer offsets) atomically and durably; see
 * `writeFileAtomic`. Failures come out as `LOG_IO`.
 */
export async function replaceFile(path: string, data: string): Promise<void> {
  try {
    await writeFileAtomic(path, data);
  } catch (error) {
    throw ioError(`could not write ${path}`, error);
  }
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

/** Whether a file name is a leftover temporary file of `writeFileAtomic`. */
export function isTmpFile(name: string): boolean {
  return name.endsWith('.tmp');
}

export function ioError(message: string, cause: unknown): CryptoLambdaError {
  return new CryptoLambdaError(LOG_ERRORS.io, `${message}: ${String(cause)}`, { retryable: true, cause });
}

export function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
