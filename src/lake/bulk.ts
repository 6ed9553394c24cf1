import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { constants, copyFile, mkdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Trade, UnixMs } from '../domain/index.js';
import type { TradeFields } from '../log/index.js';
import { createBronzeStore } from './bronze-store.js';
import { commitFlush, type FlushPlan, type LakeChange } from './flush.js';
import { createIdChains } from './id-chains.js';
import { bronzeDumpFile, HOUR_MS, hourOf } from './layout.js';
import { type DumpFile, hourKey, type LakeManifest } from './manifest.js';
import { openSilverStore, type SilverStore } from './silver-store.js';
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
   * Commits the staged rows and the dumps' progress, in the background: resolves once the rows
   * are cut (after the commit before, if one is still running) with `done`, which resolves when
   * they are committed; the next rows stage meanwhile. Without `seal` the rows stay in open
   * parts; with it, the input it names is complete and its hours are sealed (see `BulkSeal`).
   * @throws the error of an earlier commit that failed.
   */
  commit(seal?: BulkSeal): Promise<{ done: Promise<BulkCommit> }>;
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
  // Two stagings: one commits in the background while the next rows stage into the other.
  let silver = await openSilverStore(chains, { eager: true });
  let spare = await openSilverStore(chains, { eager: true });
  /** Dumps read since the last cut, with their bronze copy still under a temporary name when new. */
  const pending = new Map<string, PendingDump>();
  /** Dumps of the commit in flight, as it will record them. */
  let committing = new Map<string, DumpFile>();
  /** Per venue, the largest time loaded since the last sealing commit. */
  const unsealed = new Map<string, UnixMs>();
  /** Open hours this load committed parts of and has not sealed yet. */
  let held: string[] = [];
  /** The commit in flight, if any; a failed one fails every later call. */
  let inFlight: Promise<unknown> = Promise.resolve();
  let commitError: unknown;

  const openDump = async (path: string): Promise<BulkDump> => {
    const key = await sha256File(path);
    const known = pending.get(key)?.entry ?? committing.get(key) ?? lake.manifest().dumps?.[key];
    const entry: DumpFile = known === undefined ? newDumpEntry(path) : { ...known };
    if (known === undefined) pending.set(key, { entry, copy: await copyIntoBronze(lakeDir, path) });
    return {
      key,
      fromLine: entry.lines,
      done: entry.done,
      entry,
      progress(line, trades, rejected, done) {
        const slot = pending.get(key) ?? { entry, copy: undefined };
        Object.assign(slot.entry, { lines: line, trades, rejected, done });
        pending.set(key, slot);
      },
    };
  };

  /** Cuts what is staged, and the dumps' progress as of now; the next rows stage meanwhile. */
  const cutNow = (seal: BulkSeal | undefined): Cut => {
    const store = silver;
    [silver, spare] = [spare, silver];
    const venueMaxTs = store.takeVenueMaxTs();
    for (const [venue, maxTs] of venueMaxTs)
      unsealed.set(venue, Math.max(unsealed.get(venue) ?? maxTs, maxTs));
    const sealVenues = seal === undefined ? undefined : new Map(unsealed);
    if (seal !== undefined) unsealed.clear();
    const dumps = [...pending].map(([key, { entry, copy }]) => ({
      key,
      live: entry,
      copy,
      entry: { ...entry },
    }));
    pending.clear();
    committing = new Map(dumps.map((d) => [d.key, d.entry]));
    const hours = store.stagedHours().map((h) => hourKey(h.venue, h.hourTs));
    return { store, staged: store.stagedRows(), hours, venueMaxTs, seal, sealVenues, dumps, held };
  };

  const commit = async (seal?: BulkSeal): Promise<{ done: Promise<BulkCommit> }> => {
    await inFlight;
    if (commitError !== undefined) throw commitError;
    const cut = cutNow(seal);
    let added = 0;
    const done = lake
      .commitBeside(async (current, writerOptions) => {
        const out = await commitCut(current, cut, lakeDir, clock(), writerOptions.garbageGraceMs);
        added = out.added;
        held = out.held;
        return out;
      })
      .then((changes) => {
        committing = new Map();
        for (const change of changes) chains.forget(change.venue, change.hourTs);
        return { staged: cut.staged, added, changes };
      });
    inFlight = done.catch((error: unknown) => {
      commitError ??= error;
    });
    return { done };
  };

  return {
    openDump,
    pushFields: (fields) => silver.appendFields(fields),
    pushTrade: (trade) => silver.append([trade]),
    stagedRows: () => silver.stagedRows(),
    flushDue: () => silver.stagedRows() >= flushRows,
    commit,
    async close() {
      await inFlight;
      silver.close();
      spare.close();
      // Copies of dumps no commit placed (an aborted load): nothing lists them.
      for (const { copy } of pending.values())
        if (copy !== undefined) await unlink(join(lakeDir, copy)).catch(() => undefined);
      pending.clear();
    },
  };
}

interface PendingDump {
  entry: DumpFile;
  /** Its copy under a temporary name, until its first commit places it. */
  copy: string | undefined;
}

/** What one commit takes: the staged rows, and the dumps' progress, as of the cut. */
interface Cut {
  store: SilverStore;
  staged: number;
  /** The (venue, hour)s of the staged rows, as `hourKey`s. */
  hours: string[];
  venueMaxTs: ReadonlyMap<string, UnixMs>;
  seal: BulkSeal | undefined;
  /** With `seal`: the venues loaded since the last sealing commit, and their newest times. */
  sealVenues: ReadonlyMap<string, UnixMs> | undefined;
  /** `live` is the entry the reader goes on updating; `entry` its copy as of the cut. */
  dumps: { key: string; live: DumpFile; copy: string | undefined; entry: DumpFile }[];
  /** The hours held open before this commit. */
  held: readonly string[];
}

/**
 * One bulk commit, given the last committed manifest: places new dumps' bronze copies, then
 * `commitFlush` writes the cut's rows and seals what `seal` says, recording the dumps' progress.
 * Returns the commit, the rows it added to silver and the hours it leaves open and held.
 */
async function commitCut(
  current: Readonly<LakeManifest>,
  cut: Cut,
  lakeDir: string,
  nowMs: UnixMs,
  garbageGraceMs: number,
): Promise<{ manifest: LakeManifest; changes: LakeChange[]; added: number; held: string[] }> {
  let seq = current.seq;
  const dumps: Record<string, DumpFile> = {};
  for (const d of cut.dumps) {
    if (d.copy !== undefined) {
      // The dump's first commit places its bronze copy; the reader's entry learns where.
      d.entry.path = bronzeDumpFile(d.entry.name, seq++);
      await mkdir(dirname(join(lakeDir, d.entry.path)), { recursive: true });
      await rename(join(lakeDir, d.copy), join(lakeDir, d.entry.path));
      d.entry.bytes = (await stat(join(lakeDir, d.entry.path))).size;
      Object.assign(d.live, { path: d.entry.path, bytes: d.entry.bytes });
    }
    dumps[d.key] = d.entry;
  }
  const venues = structuredClone(current.venues);
  for (const [venue, maxTs] of cut.venueMaxTs) {
    const state = venues[venue];
    if (state === undefined) venues[venue] = { maxTs, sealedUntilTs: -1, lastArrivalMs: nowMs };
    else state.maxTs = Math.max(state.maxTs, maxTs);
  }
  const plan: FlushPlan = {
    lakeDir,
    sealUntil: sealMap(cut.seal, cut.sealVenues, current),
    // Bronze hours are the lake writer's to seal.
    bronzeSealBeforeTs: Number.NEGATIVE_INFINITY,
    venues,
    offsets: current.offsets,
    nowMs,
    garbageGraceMs,
    dumps,
    // Unlike the lake writer, which leaves a core to its consumer: two hours in flight.
    writeConcurrency: 2,
  };
  const result = await commitFlush({ ...current, seq }, cut.store, createBronzeStore(), plan);
  // Over the hours held open before too: sealing them removes the repeats their parts held.
  const touched = [...new Set([...cut.hours, ...cut.held])];
  const added = silverRows(result.manifest, touched) - silverRows(current, touched);
  // Hours left open for the rest of the input stay this load's to seal, not the writer's.
  const held =
    cut.seal === undefined ? touched.filter((key) => result.manifest.hours[key]?.sealed === false) : [];
  return { ...result, added, held };
}

/** The hours a sealing commit seals, per venue: see `BulkSeal`. */
function sealMap(
  seal: BulkSeal | undefined,
  loaded: ReadonlyMap<string, UnixMs> | undefined,
  manifest: Readonly<LakeManifest>,
): Map<string, UnixMs> {
  const out = new Map<string, UnixMs>();
  if (seal === undefined || loaded === undefined) return out;
  if (seal === 'newest') {
    for (const [venue, maxTs] of loaded) out.set(venue, hourOf(maxTs) + HOUR_MS);
    return out;
  }
  for (const venue of loaded.keys()) out.set(venue, seal.untilTs);
  for (const h of Object.values(manifest.hours))
    if (!h.sealed && h.hourTs + HOUR_MS <= seal.untilTs) out.set(h.venue, seal.untilTs);
  return out;
}

function newDumpEntry(path: string): DumpFile {
  return { name: basename(path), path: '', bytes: 0, lines: 0, trades: 0, rejected: 0, done: false };
}

/**
 * Copies a dump under a temporary name in bronze (relative path returned): a reflink where the
 * file system has them, a copy otherwise. Bronze must not share the caller's file (a hard link
 * would), which could change after the load.
 */
async function copyIntoBronze(lakeDir: string, path: string): Promise<string> {
  const copy = `bronze/dumps/.tmp-${randomUUID()}-${basename(path)}`;
  await mkdir(dirname(join(lakeDir, copy)), { recursive: true });
  await copyFile(path, join(lakeDir, copy), constants.COPYFILE_FICLONE);
  return copy;
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
