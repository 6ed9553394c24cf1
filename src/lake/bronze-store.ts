import { readFile, stat, writeFile } from 'node:fs/promises';
import type { UnixMs } from '../domain/index.js';
import { hourOf } from './layout.js';

/**
 * Bronze: every raw payload as received, as gzip-compressed JSON lines
 * (`{"recvTs":…,"payload":"…"}`) per source and hour of receive time. The ingest worker already
 * formatted and compressed each raw record's lines as one gzip member (`rawBronzeMember`), so a
 * flush only concatenates members: a file of several members is still one valid gzip stream
 * (RFC 1952), which `zcat` reads whole. Sealing an hour joins its parts the same way.
 */
export interface BronzeStore {
  /** Stages one raw record's gzip member of `lines` bronze lines. */
  append(source: string, recvTs: UnixMs, member: Uint8Array, lines: number): void;
  stagedLines(): number;
  /** The staged (source, hour) groups. */
  stagedHours(): { source: string; hourTs: UnixMs; lines: number }[];
  /** Writes one group's members to `path`. */
  writePart(source: string, hourTs: UnixMs, path: string): Promise<{ rows: number; bytes: number }>;
  clear(): void;
}

export function createBronzeStore(): BronzeStore {
  const groups = new Map<string, { source: string; hourTs: UnixMs; members: Uint8Array[]; lines: number }>();
  let staged = 0;
  return {
    append(source, recvTs, member, lines) {
      if (lines === 0) return;
      const hourTs = hourOf(recvTs);
      const key = `${source}|${hourTs}`;
      let group = groups.get(key);
      if (group === undefined) {
        group = { source, hourTs, members: [], lines: 0 };
        groups.set(key, group);
      }
      group.members.push(member);
      group.lines += lines;
      staged += lines;
    },
    stagedLines: () => staged,
    stagedHours: () =>
      [...groups.values()].map((g) => ({ source: g.source, hourTs: g.hourTs, lines: g.lines })),
    async writePart(source, hourTs, path) {
      const group = groups.get(`${source}|${hourTs}`);
      const bytes = Buffer.concat(group?.members ?? []);
      await writeFile(path, bytes);
      return { rows: group?.lines ?? 0, bytes: bytes.length };
    },
    clear() {
      groups.clear();
      staged = 0;
    },
  };
}

/** Joins gzip files into one gzip file (a concatenation of members). */
export async function joinGzipFiles(files: readonly string[], path: string): Promise<number> {
  const parts = await Promise.all(files.map((f) => readFile(f)));
  await writeFile(path, Buffer.concat(parts));
  return (await stat(path)).size;
}
