import { readFile, stat, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { UnixMs } from '../domain/index.js';
import { hourOf } from './layout.js';

const gzipAsync = promisify(gzip);

/** What bronze receives: the payloads of one source batch, exactly as received. */
export interface RawPayloads {
  source: string;
  recvTs: UnixMs;
  payloads: readonly string[];
}

/**
 * Bronze: every raw payload as received, as gzip-compressed JSON lines
 * (`{"recvTs":…,"payload":"…"}`) per source and hour of receive time. Each flush writes one gzip
 * member per (source, hour); sealing an hour joins its members into one file, which is still one
 * valid gzip stream (RFC 1952 allows several members), so `zcat` reads it whole.
 */
export interface BronzeStore {
  append(batch: RawPayloads): void;
  stagedLines(): number;
  /** The staged (source, hour) groups. */
  stagedHours(): { source: string; hourTs: UnixMs; lines: number }[];
  /** Writes one group's lines, gzip-compressed, to `path`. */
  writePart(source: string, hourTs: UnixMs, path: string): Promise<{ rows: number; bytes: number }>;
  clear(): void;
}

export function createBronzeStore(): BronzeStore {
  const groups = new Map<string, { source: string; hourTs: UnixMs; lines: string[] }>();
  let staged = 0;
  return {
    append(batch) {
      if (batch.payloads.length === 0) return;
      const hourTs = hourOf(batch.recvTs);
      const key = `${batch.source}|${hourTs}`;
      let group = groups.get(key);
      if (group === undefined) {
        group = { source: batch.source, hourTs, lines: [] };
        groups.set(key, group);
      }
      const prefix = `{"recvTs":${batch.recvTs},"payload":`;
      for (const payload of batch.payloads) group.lines.push(`${prefix}${JSON.stringify(payload)}}\n`);
      staged += batch.payloads.length;
    },
    stagedLines: () => staged,
    stagedHours: () =>
      [...groups.values()].map((g) => ({ source: g.source, hourTs: g.hourTs, lines: g.lines.length })),
    async writePart(source, hourTs, path) {
      const group = groups.get(`${source}|${hourTs}`);
      const lines = group?.lines ?? [];
      const bytes = await gzipAsync(Buffer.from(lines.join(''), 'utf8'));
      await writeFile(path, bytes);
      return { rows: lines.length, bytes: bytes.length };
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
