import { open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openFileLog } from '../../../../src/log/index.js';
import { LogModel, makeRecords, Prng } from '../../contract-model.js';
import { segmentFiles, tempDir } from './helpers.js';

export const HEADER_BYTES = 32;
export const POINTS_FILE = 'recovery-points.json';

/** A closed one-partition log of 10 batches, topic `t`. */
export interface Written {
  dir: string;
  model: LogModel;
  /** Offset of the first record of each batch, and the end offset (11 entries). */
  boundaries: number[];
  /** Size of the last segment file after each batch. */
  sizes: number[];
}

/** Ten batches of 3..12 records of up to 120 bytes; closed, so its recovery point is its end. */
export async function writeTen(segmentBytes = 1 << 20): Promise<Written> {
  const dir = await tempDir();
  const model = new LogModel();
  const boundaries = [0];
  const sizes: number[] = [];
  const log = await openFileLog({ dir, segmentBytes });
  await log.createTopic('t', { partitions: 1 });
  const prng = new Prng(42);
  for (let i = 0; i < 10; i++) {
    const records = makeRecords(prng, 3 + i, 'k', 120);
    await log.append('t', records);
    model.append(0, records);
    boundaries.push(model.end(0));
    sizes.push((await stat(await lastSegment(dir))).size);
  }
  await log.close();
  return { dir, model, boundaries, sizes };
}

export async function lastSegment(dir: string): Promise<string> {
  const files = await segmentFiles(dir, 't', 0);
  return files[files.length - 1] as string;
}

export async function patch(path: string, position: number, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, position);
  } finally {
    await handle.close();
  }
}

/** Flips every bit of `length` bytes at `position`. */
export async function flip(path: string, position: number, length = 1): Promise<void> {
  const bytes = (await readFile(path)).subarray(position, position + length).map((b) => b ^ 0xff);
  await patch(path, position, bytes);
}

/** Sets the recorded recovery point of `t/0`, as if the last background sync had happened then. */
export async function setPoint(dir: string, point: { segment: number; bytes: number; offset: number }) {
  const file = JSON.parse(await readFile(join(dir, POINTS_FILE), 'utf8')) as {
    partitions: Record<string, unknown>;
  };
  file.partitions['t/0'] = point;
  await writeFile(join(dir, POINTS_FILE), JSON.stringify(file));
}

/** As after a crash before the first background sync, or a log written before recovery points. */
export async function dropPoints(dir: string): Promise<void> {
  await rm(join(dir, POINTS_FILE), { force: true });
}

export function baseOf(path: string): number {
  return Number(/(\d{20})\.log$/.exec(path)?.[1]);
}
