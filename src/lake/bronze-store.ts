import { readFile, stat, writeFile } from 'node:fs/promises';
import type { UnixMs } from '../domain/index.js';
import type { BronzeMember } from './bronze-formatter.js';
import { hourOf } from './layout.js';

/**
 * Bronze: every raw payload as received, as gzip-compressed JSON lines
 * (`{"recvTs":…,"payload":"…"}`) per source and hour of receive time. Each raw record becomes
 * one gzip member in the lake's bronze worker thread (`rawBronzeMember`), so a flush only
 * concatenates members: a file of several members is still one valid gzip stream (RFC 1952),
 * which `zcat` reads whole. Sealing an hour joins its parts the same way.
 */
export interface BronzeStore {
  /** Stages one raw record, its gzip member on its way from the bronze worker. */
  append(source: string, recvTs: UnixMs, member: Promise<BronzeMember>): void;
  /** Raw records staged. */
  stagedRecords(): number;
  /** The staged (source, hour) groups. */
  stagedHours(): { source: string; hourTs: UnixMs }[];
  /** Writes one group's members to `path`. */
  writePart(source: string, hourTs: UnixMs, path: string): Promise<{ rows: number; bytes: number }>;
  clear(): void;
}

export function createBronzeStore(): BronzeStore {
  const groups = new Map<string, { source: string; hourTs: UnixMs; members: Promise<BronzeMember>[] }>();
  let staged = 0;
  return {
    append(source, recvTs, member) {
      // Awaited at the flush; a failure before then is not an unhandled rejection meanwhile.
      member.catch(() => undefined);
      const hourTs = hourOf(recvTs);
      const key = `${source}|${hourTs}`;
      let group = groups.get(key);
      if (group === undefined) {
        group = { source, hourTs, members: [] };
        groups.set(key, group);
      }
      group.members.push(member);
      staged++;
    },
    stagedRecords: () => staged,
    stagedHours: () => [...groups.values()].map((g) => ({ source: g.source, hourTs: g.hourTs })),
    async writePart(source, hourTs, path) {
      const members = await Promise.all(groups.get(`${source}|${hourTs}`)?.members ?? []);
      const bytes = Buffer.concat(members.map((m) => m.member));
      await writeFile(path, bytes);
      return { rows: members.reduce((n, m) => n + m.lines, 0), bytes: bytes.length };
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
