import type { AppendRecord } from '../../../../src/log/index.js';

/** Topic, partitions and segment size shared by the crash writer and the crash test. */
export const CRASH_TOPIC = 'crash';
export const CRASH_PARTITIONS = 2;
export const CRASH_SEGMENT_BYTES = 256 * 1024;

/** How many records batch `batch` has: mostly small, every tenth a large one (a big frame). */
export function crashBatchSize(batch: number): number {
  return batch % 10 === 9 ? 1000 : 1 + ((batch * 7) % 50);
}

export function crashKey(batch: number, index: number): string {
  return `k${(batch + index) % 5}`;
}

/** Record `index` of batch `batch`; its bytes are a function of the two numbers. */
export function crashRecord(batch: number, index: number): AppendRecord {
  const head = Buffer.from(`${batch}:${index}:`, 'utf8');
  const fill = (batch * 31 + index * 17) % 300;
  const value = Buffer.alloc(head.length + fill);
  head.copy(value);
  for (let i = 0; i < fill; i++) value[head.length + i] = (batch * 7 + index * 13 + i) & 0xff;
  return { key: crashKey(batch, index), value, ts: batch * 10_000 + index };
}

export function crashBatch(batch: number): AppendRecord[] {
  return Array.from({ length: crashBatchSize(batch) }, (_, i) => crashRecord(batch, i));
}

/** The (batch, index) a stored value claims to be, or undefined when it does not parse. */
export function parseCrashValue(value: Uint8Array): { batch: number; index: number } | undefined {
  const match = /^(\d+):(\d+):/.exec(Buffer.from(value.subarray(0, 32)).toString('latin1'));
  if (match === null) return undefined;
  return { batch: Number(match[1]), index: Number(match[2]) };
}
