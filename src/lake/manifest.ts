import { join } from 'node:path';
import { CryptoLambdaError, type UnixMs } from '../domain/index.js';
import { readJsonFile, writeFileAtomic } from '../log/index.js';
import { LAKE_ERRORS } from './errors.js';
import { MANIFEST_FILE } from './layout.js';

/**
 * What the lake holds, written atomically after the files it lists are in place: the commit
 * point of every lake write. A file under the lake that the manifest does not list is a
 * leftover of a write that never committed, and is deleted at open; the log offsets beside the
 * files say where to resume, so a SIGKILL at any moment loses and duplicates nothing.
 */
export interface LakeManifest {
  version: 1;
  /** The next file sequence number. */
  seq: number;
  /** Per topic, the next log offset to consume in each partition. */
  offsets: Record<string, number[]>;
  venues: Record<string, VenueState>;
  /** Silver hours by `hourKey(venue, hourTs)`. */
  hours: Record<string, SilverHour>;
  /** Bronze files by `hourKey(source, hourTs)`. */
  bronze: Record<string, BronzeHour>;
  /** Dump files loaded in bulk (`backfill`) by the SHA-256 of their bytes, each kept in bronze as received. */
  dumps?: Record<string, DumpFile>;
  /** Files replaced by a later commit; deleted once older than the grace period, so running readers finish. */
  garbage: { path: string; sinceMs: UnixMs }[];
}

export interface VenueState {
  /** The largest event time seen. */
  maxTs: UnixMs;
  /** Hours that end at or before this are sealed (monotone). */
  sealedUntilTs: UnixMs;
  /** Wall clock of the last trade consumed, for idle sealing. */
  lastArrivalMs: UnixMs;
}

export interface SilverHour {
  venue: string;
  hourTs: UnixMs;
  sealed: boolean;
  /** Bumped by each commit that changes a sealed hour (late trades re-open it for the batch jobs). */
  generation: number;
  files: LakeFile[];
}

export interface BronzeHour {
  source: string;
  hourTs: UnixMs;
  /** Sealed once the hour of receive time is over: its parts are joined into one file. */
  sealed: boolean;
  files: LakeFile[];
}

/**
 * A dump file (a data.binance.vision CSV, gzip or not) loaded in bulk: bronze keeps its bytes as
 * received, under its own name; its rows are in silver up to `lines`, the whole file once `done`.
 * A file with the same bytes, under any name, is not loaded again.
 */
export interface DumpFile {
  /** The file's name when loaded (`XRPETH-aggTrades-2019-10-11.csv.gz`). */
  name: string;
  /** Its copy in bronze, relative to the lake directory. */
  path: string;
  bytes: number;
  /** Lines read into silver (and rejections into the log), from the first. */
  lines: number;
  /** Trades read from those lines (before deduplication against silver). */
  trades: number;
  rejected: number;
  done: boolean;
}

export interface LakeFile {
  /** Relative to the lake directory. */
  path: string;
  rows: number;
  bytes: number;
  /**
   * On a part: the lake writer run whose ids, per series, rose strictly through this part and
   * every earlier part of the hour that carries the same run: such parts hold no duplicate.
   */
  chain?: string;
}

export const hourKey = (name: string, hourTs: UnixMs): string => `${name}|${hourTs}`;

export function emptyManifest(): LakeManifest {
  return { version: 1, seq: 0, offsets: {}, venues: {}, hours: {}, bronze: {}, garbage: [] };
}

export async function loadManifest(lakeDir: string): Promise<LakeManifest> {
  const path = join(lakeDir, MANIFEST_FILE);
  const value = await readJsonFile(path).catch((cause: unknown) => {
    throw new CryptoLambdaError(LAKE_ERRORS.manifestCorrupt, `${path} is not valid JSON`, { cause });
  });
  if (value === undefined) return emptyManifest();
  const m = value as Partial<LakeManifest>;
  if (
    m.version !== 1 ||
    typeof m.seq !== 'number' ||
    typeof m.offsets !== 'object' ||
    typeof m.hours !== 'object' ||
    typeof m.bronze !== 'object' ||
    !Array.isArray(m.garbage) ||
    (m.dumps !== undefined && (typeof m.dumps !== 'object' || m.dumps === null))
  ) {
    throw new CryptoLambdaError(
      LAKE_ERRORS.manifestCorrupt,
      `${path} is not a lake manifest of this version`,
    );
  }
  return value as LakeManifest;
}

export async function saveManifest(lakeDir: string, manifest: LakeManifest): Promise<void> {
  await writeFileAtomic(join(lakeDir, MANIFEST_FILE), JSON.stringify(manifest));
}

/** Every file the manifest lists (silver, bronze and garbage awaiting deletion). */
export function listedFiles(manifest: LakeManifest): Set<string> {
  const out = new Set<string>();
  for (const hour of Object.values(manifest.hours)) for (const f of hour.files) out.add(f.path);
  for (const hour of Object.values(manifest.bronze)) for (const f of hour.files) out.add(f.path);
  for (const g of manifest.garbage) out.add(g.path);
  for (const dump of Object.values(manifest.dumps ?? {})) out.add(dump.path);
  return out;
}

/** Files and bytes of silver and bronze. */
export function lakeSize(manifest: LakeManifest): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const hour of [...Object.values(manifest.hours), ...Object.values(manifest.bronze)]) {
    for (const f of hour.files) {
      files++;
      bytes += f.bytes;
    }
  }
  for (const dump of Object.values(manifest.dumps ?? {})) {
    files++;
    bytes += dump.bytes;
  }
  return { files, bytes };
}
