import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { constants, copyFile, mkdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Trade, UnixMs } from '../domain/index.js';
import type { TradeFields } from '../log/index.js';
import { createBronzeStore } from './bronze-store.js';
import { commitFlush, type FlushPlan, type LakeChange } from './flush.js';
import { bronzeDumpFile, HOUR_MS, hourOf } from './layout.js';
import { type DumpFile, hourKey, type LakeManifest } from './manifest.js';
import { openSilverStore } from './silver-store.js';
import { createIdChains } from './staging.js';
import type { LakeWriter } from './writer.js';

/**
 * Bulk loads into the lake (`backfill` of dump files): trades are staged as columns straight
 * from a reader, as the lake writer stages what it consumes, and committed with the lake
 * writer's own commit (`commitFlush`, run between two of the writer's commits through
 * `commitBeside`): new files under temporary names, renamed into place, then the manifest, which
 * also records each dump file (kept in bronze as received) and how far it was read. A SIGKILL
 * at any moment loses and duplicates nothing: a resumed load skips the dumps and the lines the
 * manifest has, and silver removes any trade it already holds when an hour is sealed.
 */
export interface BulkLoaderOptions {
  /** A commit that seals nothing is made once this many rows are staged, to bound memory. @default 5_000_000 */
  flushRows?: number;
  /** @default Date.now */
  clock?: () => UnixMs;
}

/**
 * What a commit seals: `{ untilTs }`, every hour of any venue that ends by then (a day whose
 * files are all loaded: the day is complete); `newest`, the hours of the venues loaded since the
 * last sealing commit up to the end of each one's newest hour (files that name no day, as the
 * end of a replay seals).
 */
export type BulkSeal = { untilTs: UnixMs } | 'newest';

/** A dump file opened for a bulk load. */
export interface BulkDump {
  /** The SHA-256 of its bytes, hex: its key in the manifest. */
  readonly key: string;
  /** Lines loaded before (by an interrupted load): skip them. 0 for a new file. */
  readonly fromLine: number;
  /** Loaded whole before, under this name or another. */
  readonly done: boolean;
  /** What the manifest will say of it at the next commit. */
  readonly entry: Readonly<DumpFile>;
  /** Notes how far it was read: through `line`, with the trades and rejections read so far (in all). */
  progress(line: number, trades: number, rejected: number, done: boolean): void;
}

export interface BulkCommit {
  /** Rows staged and committed. */
  staged: number;
  /** Of those, rows new to silver (the others were trades it held already). */
  added: number;
  /** What changed for the batch jobs. */
  changes: LakeChange[];
}

export interface BulkLoader {
  /** Hashes a dump file; unknown to the lake, copies it into bronze for the next commit to place. */
  openDump(path: string): Promise<BulkDump>;
  /** Stages a trade read as fields (reused by the caller). */
  pushFields(fields: TradeFields): void;
  pushTrade(trade: Trade): void;
  stagedRows(): number;
  /** Whether enough rows are staged that a commit is due. */
  flushDue(): boolean;
  /**
   * Commits the staged rows and the dumps' progress. Without `seal` the rows stay in open parts;
   * with it, the input it names is complete and its hours are sealed (see `BulkSeal`).
   */
  commit(seal?: BulkSeal): Promise<BulkCommit>;
  close(): Promise<void>;
}

export async function openBulkLoader(
  lake: LakeWriter,
  lakeDir: string,
  options: BulkLoaderOptions = {},
): Promise<BulkLoader> {
  const flushRows = options.flushRows ?? 5_000_000;
  const clock = options.clock ?? Date.now;
  const chains = createIdChains(randomUUID());
  const silver = await openSilverStore(chains);
  /** Dumps read since the last commit, with their bronze copy still under a temporary name when new. */
  const pending = new Map<string, { entry: DumpFile; copy: string | undefined }>();

  const openDump = async (path: string): Promise<BulkDump> => {
    const key = await sha256File(path);
    const known = pending.get(key)?.entry ?? lake.manifest().dumps?.[key];
    let entry: DumpFile;
    if (known !== undefined) entry = { ...known };
    else {
      const name = basename(path);
      const copy = `bronze/dumps/.tmp-${randomUUID()}-${name}`;
      await mkdir(dirname(join(lakeDir, copy)), { recursive: true });
      // A reflink where the file system has them, a copy otherwise: bronze must not share the
      // caller's file (a hard link would), which could change after the load.
      await copyFile(path, join(lakeDir, copy), constants.COPYFILE_FICLONE);
      entry = { name, path: '', bytes: 0, lines: 0, trades: 0, rejected: 0, done: false };
      pending.set(key, { entry, copy });
    }
    const fromLine = entry.lines;
    return {
      key,
      fromLine,
      done: entry.done,
      entry,
      progress(line, trades, rejected, done) {
        const slot = pending.get(key) ?? { entry, copy: undefined };
        Object.assign(slot.entry, { lines: line, trades, rejected, done });
        pending.set(key, slot);
      },
    };
  };

  /** Per venue, the largest time loaded since the last sealing commit. */
  const unsealed = new Map<string, UnixMs>();
  const sealMap = (seal: BulkSeal | undefined, manifest: Readonly<LakeManifest>): Map<string, UnixMs> => {
    const out = new Map<string, UnixMs>();
    if (seal === 'newest') for (const [venue, maxTs] of unsealed) out.set(venue, hourOf(maxTs) + HOUR_MS);
    else if (seal !== undefined) {
      for (const venue of unsealed.keys()) out.set(venue, seal.untilTs);
      for (const h of Object.values(manifest.hours))
        if (!h.sealed && h.hourTs + HOUR_MS <= seal.untilTs) out.set(h.venue, seal.untilTs);
    }
    return out;
  };

  const commit = async (seal?: BulkSeal): Promise<BulkCommit> => {
    const staged = silver.stagedRows();
    const hours = silver.stagedHours().map((h) => hourKey(h.venue, h.hourTs));
    const venueMaxTs = silver.takeVenueMaxTs();
    for (const [venue, maxTs] of venueMaxTs)
      unsealed.set(venue, Math.max(unsealed.get(venue) ?? maxTs, maxTs));
    let added = 0;
    const changes = await lake.commitBeside(async (current, writerOptions) => {
      const nowMs = clock();
      let seq = current.seq;
      const dumps: Record<string, DumpFile> = {};
      for (const [key, { entry, copy }] of pending) {
        if (copy !== undefined) {
          entry.path = bronzeDumpFile(entry.name, seq++);
          await mkdir(dirname(join(lakeDir, entry.path)), { recursive: true });
          await rename(join(lakeDir, copy), join(lakeDir, entry.path));
          entry.bytes = await fileBytes(join(lakeDir, entry.path));
        }
        dumps[key] = { ...entry };
      }
      const venues = structuredClone(current.venues);
      for (const [venue, maxTs] of venueMaxTs) {
        const state = venues[venue];
        if (state === undefined) venues[venue] = { maxTs, sealedUntilTs: -1, lastArrivalMs: nowMs };
        else state.maxTs = Math.max(state.maxTs, maxTs);
      }
      const plan: FlushPlan = {
        lakeDir,
        sealUntil: sealMap(seal, current),
        // Bronze hours are the lake writer's to seal.
        bronzeSealBeforeTs: Number.NEGATIVE_INFINITY,
        venues,
        offsets: current.offsets,
        nowMs,
        garbageGraceMs: writerOptions.garbageGraceMs,
        dumps,
      };
      const result = await commitFlush({ ...current, seq }, silver, createBronzeStore(), plan);
      added = silverRows(result.manifest, hours) - silverRows(current, hours);
      return result;
    });
    // The manifest has them now; a dump still being read notes its progress again.
    pending.clear();
    if (seal !== undefined) unsealed.clear();
    for (const change of changes) chains.forget(change.venue, change.hourTs);
    return { staged, added, changes };
  };

  return {
    openDump,
    pushFields: (fields) => silver.appendFields(fields),
    pushTrade: (trade) => silver.append([trade]),
    stagedRows: () => silver.stagedRows(),
    flushDue: () => silver.stagedRows() >= flushRows,
    commit,
    async close() {
      silver.close();
      // Copies of dumps no commit placed (an aborted load): nothing lists them.
      for (const { copy } of pending.values())
        if (copy !== undefined) await unlink(join(lakeDir, copy)).catch(() => undefined);
      pending.clear();
    },
  };
}

/** Rows of silver in the given hours (`hourKey`s). */
function silverRows(manifest: Readonly<LakeManifest>, hours: readonly string[]): number {
  let rows = 0;
  for (const key of hours) for (const f of manifest.hours[key]?.files ?? []) rows += f.rows;
  return rows;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function fileBytes(path: string): Promise<number> {
  return (await stat(path)).size;
}
