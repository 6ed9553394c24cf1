/*
 * Child process of raw-capture.test.ts: runs the log writer over a replay, paced so that the
 * parent's SIGKILL lands mid-file, and prints `started` once the writer is open. Usage:
 *   node raw-crash-writer.js --raw-crash-writer <data dir> <replay file> <worker|thread>
 */
import { join } from 'node:path';
import { createIngestWriter, openSource, runInWorker, type SourceSpec } from '../../src/ingest/index.js';
import { openFileLog } from '../../src/log/index.js';

/** The replay every run of the crash test uses: the same batches, so positions match. */
export function crashSpec(path: string, replayRate?: number): SourceSpec {
  return {
    kind: 'replay',
    path,
    options: replayRate === undefined ? { batchSize: 100 } : { batchSize: 100, replayRate },
  };
}

async function main(dataDir: string, path: string, mode: string): Promise<void> {
  const log = await openFileLog({ dir: join(dataDir, 'log') });
  // Positions saved now and then, so a kill leaves several batches after the last one saved.
  const writer = await createIngestWriter(log, dataDir, { positionSaveIntervalMs: 300 });
  const spec = crashSpec(path, 4000);
  const source = mode === 'worker' ? runInWorker(spec) : openSource(spec);
  process.stdout.write('started\n');
  await writer.run(source, new AbortController().signal);
  await log.close();
  process.stdout.write('finished\n');
}

const [flag, dataDir, path, mode] = process.argv.slice(2);
// Test runners may load every file under test/; without the flag this module does nothing.
if (flag === '--raw-crash-writer' && dataDir !== undefined && path !== undefined && mode !== undefined) {
  main(dataDir, path, mode).catch((error: unknown) => {
    process.stderr.write(`raw-crash-writer failed: ${String(error)}\n`);
    process.exit(1);
  });
}
