/*
 * Child process of crash.test.ts: appends numbered batches to the crash topic forever, several
 * in flight at once, and prints one line per acknowledged batch:
 *   ack <batch> <partition>:<offset>,<partition>:<offset>,...
 * The parent SIGKILLs it at a random moment. Usage:
 *   node crash-writer.js --crash-writer <dir> <always|never> <first batch>
 */
import type { FsyncMode } from '../../../../src/log/index.js';
import { openFileLog } from '../../../../src/log/index.js';
import { CRASH_PARTITIONS, CRASH_SEGMENT_BYTES, CRASH_TOPIC, crashBatch } from './crash-data.js';

const IN_FLIGHT = 4;

async function main(dir: string, fsync: FsyncMode, firstBatch: number): Promise<void> {
  const log = await openFileLog({ dir, fsync, segmentBytes: CRASH_SEGMENT_BYTES });
  await log.createTopic(CRASH_TOPIC, { partitions: CRASH_PARTITIONS });
  process.stdout.write('ready\n');
  let next = firstBatch;
  const writer = async () => {
    for (;;) {
      const batch = next++;
      const acks = await log.append(CRASH_TOPIC, crashBatch(batch));
      // Pipes are written synchronously on Linux: once this returns, the parent will read it.
      process.stdout.write(`ack ${batch} ${acks.map((a) => `${a.partition}:${a.offset}`).join(',')}\n`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, writer));
}

const [flag, dir, fsync, firstBatch] = process.argv.slice(2);
// Test runners may load every file under test/; without the flag this module does nothing.
if (flag === '--crash-writer' && dir !== undefined && (fsync === 'always' || fsync === 'never')) {
  main(dir, fsync, Number(firstBatch ?? 0)).catch((error: unknown) => {
    process.stderr.write(`crash-writer failed: ${String(error)}\n`);
    process.exit(1);
  });
}
