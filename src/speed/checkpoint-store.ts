import { open, readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { CryptoLambdaError } from '../domain/index.js';
import { readCheckpointEnvelope, writeCheckpoint } from './checkpoint.js';
import { SPEED_ERRORS } from './errors.js';

/**
 * An incremental checkpoint: a full snapshot (`checkpoint.json`, written atomically) and a log
 * of changes since it (`checkpoint.<generation>.delta`, appended and fdatasynced), so a
 * checkpoint costs what changed since the last one, and nothing while nothing happens. When the
 * changes outgrow the snapshot, a new snapshot of the next generation replaces both.
 *
 * A change frame is `magic u32 'CLD1' · length u32 · CRC-32 u32 · JSON`, all little endian. A
 * torn last frame (a write the crash cut short) is not a checkpoint yet and is dropped; a bad
 * frame with valid frames after it is damage, refused as `SPEED_CHECKPOINT_CORRUPT`.
 */
export interface CheckpointStore<T> {
  /** The full snapshot merged with every change after it; undefined when there is none. */
  load(merge: (base: T, change: T) => T): Promise<T | undefined>;
  /** Appends a change (or writes `full()` as a new snapshot when the changes outgrew the last one). */
  save(change: T, full: () => T): Promise<void>;
  /** Writes a new snapshot and drops the changes. */
  saveFull(data: T): Promise<void>;
}

const MAGIC = 0x31444c43;
const HEADER_BYTES = 12;
/** Changes are appended until they exceed the snapshot's size, and at least this much. */
const MIN_DELTA_BYTES = 1 << 20;

export function openCheckpointStore<T>(path: string): CheckpointStore<T> {
  const dir = dirname(path);
  const stem = basename(path, '.json');
  const deltaPath = (generation: number): string => join(dir, `${stem}.${generation}.delta`);
  let generation = 0;
  let baseBytes = 0;
  let deltaBytes = 0;

  const saveFull = async (data: T): Promise<void> => {
    const next = generation + 1;
    baseBytes = await writeCheckpoint(path, data, next);
    const old = deltaPath(generation);
    generation = next;
    deltaBytes = 0;
    await rm(old, { force: true });
  };

  return {
    async load(merge) {
      const envelope = await readCheckpointEnvelope<T>(path);
      if (envelope === undefined) {
        await removeDeltas(dir, stem, undefined);
        return undefined;
      }
      generation = envelope.generation;
      baseBytes = envelope.bytes;
      await removeDeltas(dir, stem, generation);
      const { changes, validBytes, fileBytes } = await readDeltas<T>(deltaPath(generation));
      deltaBytes = validBytes;
      // A torn last change is cut off, so the next one follows whole frames.
      if (fileBytes > validBytes) await truncateTo(deltaPath(generation), validBytes);
      return changes.reduce(merge, envelope.data);
    },
    async save(change, full) {
      if (deltaBytes > Math.max(baseBytes, MIN_DELTA_BYTES) || baseBytes === 0) return saveFull(full());
      deltaBytes += await appendFrame(deltaPath(generation), change, deltaBytes === 0);
    },
    saveFull,
  };
}

async function appendFrame(path: string, value: unknown, created: boolean): Promise<number> {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + json.length);
  frame.writeUInt32LE(MAGIC, 0);
  frame.writeUInt32LE(json.length, 4);
  frame.writeUInt32LE(crc32(json), 8);
  json.copy(frame, HEADER_BYTES);
  try {
    const file = await open(path, 'a');
    try {
      await file.writeFile(frame);
      await file.datasync();
    } finally {
      await file.close();
    }
    if (created) {
      const d = await open(dirname(path), 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    }
  } catch (error) {
    throw new CryptoLambdaError(SPEED_ERRORS.checkpointIo, `cannot append to checkpoint ${path}`, {
      retryable: true,
      cause: error,
    });
  }
  return frame.length;
}

/** The changes of a delta file in order, and the bytes of whole frames (a torn tail excluded). */
async function readDeltas<T>(path: string): Promise<{ changes: T[]; validBytes: number; fileBytes: number }> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { changes: [], validBytes: 0, fileBytes: 0 };
    throw new CryptoLambdaError(SPEED_ERRORS.checkpointIo, `cannot read checkpoint ${path}`, {
      retryable: true,
      cause: error,
    });
  }
  const changes: T[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const end = frameEnd(buf, pos);
    if (end === undefined) {
      if (nextFrameAfter(buf, pos + 1) !== undefined) {
        throw new CryptoLambdaError(
          SPEED_ERRORS.checkpointCorrupt,
          `checkpoint changes ${path} are damaged at byte ${pos} with valid changes after it; ` +
            'run `crypto-lambda repair` to rebuild the speed layer from the log',
        );
      }
      break;
    }
    changes.push(JSON.parse(buf.toString('utf8', pos + HEADER_BYTES, end)) as T);
    pos = end;
  }
  return { changes, validBytes: pos, fileBytes: buf.length };
}

/** The end of a whole, checksummed frame at `pos`, or undefined. */
function frameEnd(buf: Buffer, pos: number): number | undefined {
  if (pos + HEADER_BYTES > buf.length || buf.readUInt32LE(pos) !== MAGIC) return undefined;
  const end = pos + HEADER_BYTES + buf.readUInt32LE(pos + 4);
  if (end > buf.length) return undefined;
  return crc32(buf.subarray(pos + HEADER_BYTES, end)) === buf.readUInt32LE(pos + 8) ? end : undefined;
}

function nextFrameAfter(buf: Buffer, from: number): number | undefined {
  for (let pos = buf.indexOf(MAGIC_BYTES, from); pos >= 0; pos = buf.indexOf(MAGIC_BYTES, pos + 1)) {
    if (frameEnd(buf, pos) !== undefined) return pos;
  }
  return undefined;
}

const MAGIC_BYTES = Buffer.from([0x43, 0x4c, 0x44, 0x31]);

async function truncateTo(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.truncate(bytes);
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** Deletes the delta files of other generations than `keep` (all of them when undefined). */
async function removeDeltas(dir: string, stem: string, keep: number | undefined): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const pattern = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.delta$`);
  for (const name of names) {
    const match = pattern.exec(name);
    if (match !== null && Number(match[1]) !== keep) await rm(join(dir, name), { force: true });
  }
}
