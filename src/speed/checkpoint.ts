import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CryptoLambdaError } from '../domain/index.js';
import { SPEED_ERRORS } from './errors.js';

/**
 * The checkpoint file: one JSON document `{ format, version, data }`. The envelope tells a
 * checkpoint from any other JSON file; truncation always breaks the JSON, so a partial write can
 * never pass for a checkpoint (and the atomic write below never leaves one anyway).
 */
const FORMAT = 'crypto-lambda.speed-checkpoint';
const VERSION = 1;

function ioError(action: string, path: string, cause: unknown): CryptoLambdaError {
  return new CryptoLambdaError(SPEED_ERRORS.checkpointIo, `cannot ${action} checkpoint ${path}`, {
    retryable: true,
    cause,
  });
}

/**
 * Writes `data` (JSON-serialisable) to `path` atomically: a temporary file in the same
 * directory is written and fsynced, renamed over `path`, and the directory is fsynced so the
 * rename itself survives a power cut. A crash at any moment leaves the old or the new
 * checkpoint, never a mix.
 * @throws CryptoLambdaError `SPEED_CHECKPOINT_IO` (retryable) when the file system fails.
 */
export async function writeCheckpoint(path: string, data: unknown, generation = 0): Promise<number> {
  const text = JSON.stringify({ format: FORMAT, version: VERSION, generation, data });
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw ioError('write', path, error);
  }
  try {
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch (error) {
    throw ioError('sync the directory of', path, error);
  }
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Reads a checkpoint written by `writeCheckpoint`. Resolves undefined when the file does not
 * exist. `check` may validate (and narrow) the data; without it the data is returned as is.
 * @throws CryptoLambdaError `SPEED_CHECKPOINT_CORRUPT` when the file is not a complete checkpoint
 * or `check` rejects its data; `SPEED_CHECKPOINT_IO` (retryable) when reading fails.
 */
export async function readCheckpoint<T = unknown>(
  path: string,
  check?: (data: unknown) => data is T,
): Promise<T | undefined> {
  const envelope = await readCheckpointEnvelope<unknown>(path);
  if (envelope === undefined) return undefined;
  if (check !== undefined && !check(envelope.data)) {
    throw new CryptoLambdaError(SPEED_ERRORS.checkpointCorrupt, `checkpoint ${path} holds unexpected data`);
  }
  return envelope.data as T;
}

/** A checkpoint file's data with its generation (0 when written without one) and size. */
export async function readCheckpointEnvelope<T>(
  path: string,
): Promise<{ data: T; generation: number; bytes: number } | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read', path, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CryptoLambdaError(SPEED_ERRORS.checkpointCorrupt, `checkpoint ${path} is not valid JSON`, {
      cause: error,
    });
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('format' in parsed) ||
    parsed.format !== FORMAT ||
    !('version' in parsed) ||
    parsed.version !== VERSION ||
    !('data' in parsed)
  ) {
    throw new CryptoLambdaError(
      SPEED_ERRORS.checkpointCorrupt,
      `${path} is not a version ${VERSION} speed checkpoint`,
    );
  }
  const generation =
    'generation' in parsed && Number.isSafeInteger(parsed.generation) ? Number(parsed.generation) : 0;
  return { data: parsed.data as T, generation, bytes: Buffer.byteLength(text, 'utf8') };
}
