import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CryptoLambdaError, isCryptoLambdaError } from '../../../domain/index.js';
import { type EventLog, LOG_ERRORS } from '../../event-log.js';
import type { LogDamage } from './damage.js';
import { ensureDir, isTmpFile, replaceFile } from './fs-util.js';

const SUFFIX = '.json';
const MAX_FILE_NAME_BYTES = 200;

/** topic → partition → next offset to read. */
type GroupOffsets = Map<string, Map<number, number>>;

interface GroupFile {
  group: string;
  offsets: Record<string, Record<string, number>>;
}

/**
 * Committed consumer offsets: one JSON file per group, replaced atomically on every commit.
 * Commits of one group that arrive while its file is being written share the next write.
 */
export class ConsumerOffsets {
  private readonly dir: string;
  private readonly groups = new Map<string, GroupOffsets>();
  private readonly writing = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** @param setAside called with a file that is not a group's offsets, which is then skipped; without it, such a file fails the open. */
  static async open(dir: string, setAside?: (damage: LogDamage) => Promise<void>): Promise<ConsumerOffsets> {
    await ensureDir(dir);
    const store = new ConsumerOffsets(dir);
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      if (isTmpFile(name)) await rm(path, { force: true });
      else if (name.endsWith(SUFFIX)) {
        try {
          store.load(path, await readFile(path, 'utf8'));
        } catch (error) {
          if (setAside === undefined || !isCryptoLambdaError(error)) throw error;
          await setAside({ path, position: 0, reason: error.message });
        }
      }
    }
    return store;
  }

  /** Every committed offset. */
  *entries(): Iterable<{ group: string; topic: string; partition: number; offset: number }> {
    for (const [group, topics] of this.groups) {
      for (const [topic, partitions] of topics) {
        for (const [partition, offset] of partitions) yield { group, topic, partition, offset };
      }
    }
  }

  /**
   * Sets offsets past their partition's end back to the end (repair); returns what changed.
   * Offsets of topics or partitions the log no longer has are left alone: nothing reads them.
   */
  async rewindPastEnd(
    log: EventLog,
  ): Promise<{ group: string; topic: string; partition: number; from: number; to: number }[]> {
    const rewound = [];
    for (const { group, topic, partition, offset } of [...this.entries()]) {
      const end = await log.offsets(topic, partition).then(
        (o) => o.end,
        () => undefined,
      );
      if (end === undefined || offset <= end) continue;
      await this.commit(group, topic, partition, end);
      rewound.push({ group, topic, partition, from: offset, to: end });
    }
    return rewound;
  }

  get(group: string, topic: string, partition: number): number | undefined {
    return this.groups.get(group)?.get(topic)?.get(partition);
  }

  commit(group: string, topic: string, partition: number, offset: number): Promise<void> {
    const fileName = groupFileName(group);
    let offsets = this.groups.get(group);
    if (offsets === undefined) {
      offsets = new Map();
      this.groups.set(group, offsets);
    }
    let partitions = offsets.get(topic);
    if (partitions === undefined) {
      partitions = new Map();
      offsets.set(topic, partitions);
    }
    partitions.set(partition, offset);
    const queued = this.queued.get(group);
    if (queued !== undefined) return queued;
    const write = (this.writing.get(group) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(group);
        return replaceFile(join(this.dir, fileName), serialize(group, offsets));
      });
    this.queued.set(group, write);
    this.writing.set(group, write);
    return write;
  }

  private load(path: string, text: string): void {
    let file: GroupFile;
    try {
      file = JSON.parse(text) as GroupFile;
      if (typeof file.group !== 'string' || typeof file.offsets !== 'object' || file.offsets === null) {
        throw new Error('not a consumer group offsets file');
      }
    } catch (error) {
      throw new CryptoLambdaError(LOG_ERRORS.corrupt, `${path} is not a consumer group's offsets file`, {
        cause: error,
      });
    }
    const offsets: GroupOffsets = new Map();
    for (const [topic, partitions] of Object.entries(file.offsets)) {
      offsets.set(topic, new Map(Object.entries(partitions).map(([p, offset]) => [Number(p), offset])));
    }
    this.groups.set(file.group, offsets);
  }
}

function serialize(group: string, offsets: GroupOffsets): string {
  const file: GroupFile = { group, offsets: {} };
  for (const [topic, partitions] of offsets) {
    file.offsets[topic] = Object.fromEntries([...partitions].map(([p, offset]) => [String(p), offset]));
  }
  return `${JSON.stringify(file)}\n`;
}

/** A file name for any group name: `[A-Za-z0-9_-]` as is, other UTF-8 bytes as `%XX`. */
function groupFileName(group: string): string {
  let name = '';
  for (const byte of Buffer.from(group, 'utf8')) {
    const char = String.fromCharCode(byte);
    name += /[A-Za-z0-9_-]/.test(char) ? char : `%${byte.toString(16).padStart(2, '0')}`;
  }
  if (group.length === 0 || name.length > MAX_FILE_NAME_BYTES) {
    throw new CryptoLambdaError(
      LOG_ERRORS.invalidArgument,
      `bad consumer group name ${JSON.stringify(group)}`,
    );
  }
  return `${name}${SUFFIX}`;
}
