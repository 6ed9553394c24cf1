import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileEventLog, OpenFileLogOptions } from '../../../../src/log/index.js';
import { openFileLog } from '../../../../src/log/index.js';
import type { EventLogUnderTest } from '../../contract.js';

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'crypto-lambda-log-'));
}

/** A file log on a fresh directory, for the contract suite. */
export async function openUnderTest(tuning: Omit<OpenFileLogOptions, 'dir'>): Promise<EventLogUnderTest> {
  const dir = await tempDir();
  let current: FileEventLog = await openFileLog({ dir, ...tuning });
  return {
    get log() {
      return current;
    },
    async reopen() {
      current = await openFileLog({ dir, ...tuning });
      return current;
    },
    async cleanup() {
      await current.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The segment files of a partition, oldest first. */
export async function segmentFiles(dir: string, topic: string, partition: number): Promise<string[]> {
  const partitionDir = join(dir, 'topics', topic, String(partition));
  const names = (await readdir(partitionDir)).filter((name) => name.endsWith('.log')).sort();
  return names.map((name) => join(partitionDir, name));
}
