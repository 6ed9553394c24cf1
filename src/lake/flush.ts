import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { CryptoLambdaError, type UnixMs } from '../domain/index.js';
import { type BronzeStore, joinGzipFiles } from './bronze-store.js';
import { LAKE_ERRORS } from './errors.js';
import { bronzeFile, HOUR_MS, silverFile, tempName, utcDate } from './layout.js';
import {
  type DumpFile,
  hourKey,
  type LakeFile,
  type LakeManifest,
  type SilverHour,
  saveManifest,
} from './manifest.js';
import type { SilverStore } from './silver-store.js';

/**
 * A sealed hour keeps up to this many parts as its files when no trade repeats among them;
 * more are compacted into one (a sort of the whole hour), so readers never meet many small files.
 */
const MAX_SEALED_PARTS = 4;

/**
 * A commit made outside the lake writer's consumer (a bulk load): given the last committed
 * manifest and the writer's options, it saves the next (with `commitFlush`) and names the open
 * hours it still fills, which the writer then leaves open. See `LakeWriter.commitBeside`.
 */
export type ExternalCommit = (
  current: Readonly<LakeManifest>,
  options: Readonly<{ garbageGraceMs: number }>,
) => Promise<{ manifest: LakeManifest; changes: LakeChange[]; held?: readonly string[] }>;

/** A change of what the batch jobs can read. */
export interface LakeChange {
  /** `sealed`: an hour became readable; `reopened`: late trades changed a sealed hour. */
  kind: 'sealed' | 'reopened';
  venue: string;
  hourTs: UnixMs;
  date: string;
  generation: number;
}

export interface FlushPlan {
  lakeDir: string;
  /** Per venue, hours ending at or before this get sealed (monotone; only raised). */
  sealUntil: ReadonlyMap<string, UnixMs>;
  /** Bronze hours of receive time before this are sealed; `Infinity` seals all. */
  bronzeSealBeforeTs: UnixMs;
  /** Venue progress as of the cut, committed with the files. */
  venues: LakeManifest['venues'];
  /** Offsets consumed into the stores, committed with the files. */
  offsets: Record<string, number[]>;
  nowMs: UnixMs;
  garbageGraceMs: number;
  /** Part files written at once, at most. @default 1 */
  writeConcurrency?: number;
  /** Open hours (`hourKey`) not to seal now: a bulk load beside the writer is still filling them. */
  held?: ReadonlySet<string>;
  /** Dump entries committed with the files (a bulk load's progress); their bronze copies are in place. */
  dumps?: Readonly<Record<string, DumpFile>>;
}

/**
 * One lake commit: writes the staged silver and bronze rows as new files, seals hours, then
 * saves the manifest naming the new files and the log offsets they hold, which is the moment
 * the commit happens. Files are written under a temporary name and renamed into place; a crash
 * before the manifest is saved leaves files no manifest lists, which the next open deletes.
 * Returns the new manifest and the changes it made.
 */
export async function commitFlush(
  current: LakeManifest,
  silver: SilverStore,
  bronze: BronzeStore,
  plan: FlushPlan,
): Promise<{ manifest: LakeManifest; changes: LakeChange[] }> {
  const next = structuredClone(current);
  next.venues = structuredClone(plan.venues);
  const changes: LakeChange[] = [];
  const replaced: string[] = [];
  const abs = (rel: string): string => join(plan.lakeDir, rel);
  /**
   * The fsyncs of new files, started as each is placed (so they overlap writing the next), and
   * the new names whose directory entries must be on disk before the manifest.
   */
  const syncs: Promise<void>[] = [];
  const named: string[] = [];
  const place = async (
    rel: string,
    write: (path: string) => Promise<{ rows: number; bytes: number; chain?: string }>,
  ): Promise<LakeFile> => {
    const tmp = tempName(rel);
    await mkdir(dirname(abs(rel)), { recursive: true });
    const { rows, bytes, chain } = await write(abs(tmp));
    await rename(abs(tmp), abs(rel));
    const synced = fsyncPath(abs(rel));
    // Awaited before the manifest is saved; handled here so a failure is not unhandled meanwhile.
    synced.catch(() => undefined);
    syncs.push(synced);
    named.push(rel);
    return chain === undefined ? { path: rel, rows, bytes } : { path: rel, rows, bytes, chain };
  };
  const nextSeq = (): number => next.seq++;

  // 1. Staged silver rows: a part file per open hour; a sealed hour is compacted with them at once.
  const staged = silver.stagedHours();
  const stagedTotal = staged.reduce((n, h) => n + h.rows, 0);
  if (stagedTotal !== silver.stagedRows()) {
    throw new CryptoLambdaError(
      LAKE_ERRORS.io,
      `silver staging groups hold ${stagedTotal} of ${silver.stagedRows()} rows`,
    );
  }
  const partWrites: (() => Promise<void>)[] = [];
  for (const { venue, hourTs, rows } of staged) {
    const key = hourKey(venue, hourTs);
    const hour: SilverHour = next.hours[key] ?? { venue, hourTs, sealed: false, generation: 0, files: [] };
    next.hours[key] = hour;
    if (!hour.sealed) {
      const rel = silverFile(venue, hourTs, nextSeq(), 'part');
      partWrites.push(async () => {
        const part = await place(rel, (p) => silver.writePart(venue, hourTs, p));
        // Never commit a flush that would drop a staged trade.
        if (part.rows !== rows) {
          throw new CryptoLambdaError(
            LAKE_ERRORS.io,
            `silver part ${part.path} holds ${part.rows} of ${rows} staged rows`,
          );
        }
        hour.files.push(part);
      });
      continue;
    }
    const before = hour.files.reduce((n, f) => n + f.rows, 0);
    const file = await place(silverFile(venue, hourTs, nextSeq(), 'sealed'), (p) =>
      silver.compact(
        venue,
        hourTs,
        hour.files.map((f) => abs(f.path)),
        true,
        p,
      ),
    );
    if (file.rows === before) {
      // Every staged trade of the hour was a duplicate: nothing changes.
      await syncs.pop()?.catch(() => undefined);
      named.pop();
      await unlink(abs(file.path));
      continue;
    }
    replaced.push(...hour.files.map((f) => f.path));
    hour.files = [file];
    hour.generation++;
    changes.push({ kind: 'reopened', venue, hourTs, date: utcDate(hourTs), generation: hour.generation });
  }

  await runAtMost(plan.writeConcurrency ?? 1, partWrites);

  // 2. Seal every open hour that the venue's frontier has passed. A few sorted parts without a
  // duplicate among them are sealed as they are (linked under sealed names: a part stays listed
  // until the manifest names its link, so a crash loses nothing); more, or any duplicate, and the
  // parts are compacted into one file.
  const toSeal = Object.values(next.hours)
    .filter((h) => !h.sealed && h.hourTs + HOUR_MS <= (plan.sealUntil.get(h.venue) ?? -Infinity))
    .filter((h) => plan.held?.has(hourKey(h.venue, h.hourTs)) !== true)
    .sort((a, b) => a.hourTs - b.hourTs);
  for (const hour of toSeal) {
    const parts = hour.files.map((f) => abs(f.path));
    const chain = hour.files[0]?.chain;
    let files: LakeFile[];
    if (
      hour.files.length <= MAX_SEALED_PARTS &&
      ((chain !== undefined && hour.files.every((f) => f.chain === chain)) ||
        (await silver.duplicates(parts)) === 0)
    ) {
      files = [];
      for (const part of hour.files) {
        const rel = silverFile(hour.venue, hour.hourTs, nextSeq(), 'sealed');
        await link(abs(part.path), abs(rel));
        named.push(rel);
        files.push({ path: rel, rows: part.rows, bytes: part.bytes });
      }
    } else {
      const rel = silverFile(hour.venue, hour.hourTs, nextSeq(), 'sealed');
      files = [await place(rel, (p) => silver.compact(hour.venue, hour.hourTs, parts, false, p))];
    }
    replaced.push(...hour.files.map((f) => f.path));
    hour.files = files;
    hour.sealed = true;
    hour.generation = 1;
    changes.push({
      kind: 'sealed',
      venue: hour.venue,
      hourTs: hour.hourTs,
      date: utcDate(hour.hourTs),
      generation: 1,
    });
  }
  for (const [venue, until] of plan.sealUntil) {
    const state = next.venues[venue];
    if (state !== undefined) state.sealedUntilTs = Math.max(state.sealedUntilTs, until);
  }

  // 3. Bronze: a gzip member per (source, hour) staged; hours over are joined into one file.
  await commitBronze(next, bronze, plan, { place, abs, nextSeq, replaced });

  // 4. Commit: offsets and files in one atomic manifest write; then drop expired garbage.
  next.offsets = structuredClone(plan.offsets);
  if (plan.dumps !== undefined) next.dumps = { ...next.dumps, ...structuredClone(plan.dumps) };
  for (const path of replaced) next.garbage.push({ path, sinceMs: plan.nowMs });
  const expired = next.garbage.filter((g) => plan.nowMs - g.sinceMs >= plan.garbageGraceMs);
  next.garbage = next.garbage.filter((g) => plan.nowMs - g.sinceMs < plan.garbageGraceMs);
  // A power loss must not leave a manifest naming a file that is not on disk.
  await Promise.all(syncs);
  await syncDirs(plan.lakeDir, named);
  await saveManifest(plan.lakeDir, next);
  for (const g of expired) await unlink(abs(g.path)).catch(() => undefined);
  await silver.clear();
  bronze.clear();
  return { manifest: next, changes };
}

/** Runs `tasks`, `limit` at a time; throws the first failure once none is running. */
async function runAtMost(limit: number, tasks: readonly (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++] as () => Promise<void>;
      await task().catch((error: unknown) => {
        failure ??= error;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  if (failure !== undefined) throw failure;
}

/** How a commit places its files (temporary name, then renamed into place) and numbers them. */
interface Placing {
  place(rel: string, write: (path: string) => Promise<{ rows: number; bytes: number }>): Promise<LakeFile>;
  abs(rel: string): string;
  nextSeq(): number;
  /** Files a commit replaces, for the garbage list. */
  replaced: string[];
}

/** Bronze's part of a commit: the staged payloads as a gzip member per (source, hour); hours over joined into one file. */
async function commitBronze(
  next: LakeManifest,
  bronze: BronzeStore,
  plan: FlushPlan,
  files: Placing,
): Promise<void> {
  const { place, abs, nextSeq, replaced } = files;
  for (const { source, hourTs } of bronze.stagedHours()) {
    const key = hourKey(source, hourTs);
    const hour = next.bronze[key] ?? { source, hourTs, sealed: false, files: [] };
    next.bronze[key] = hour;
    hour.files.push(
      await place(bronzeFile(source, hourTs, nextSeq()), (p) => bronze.writePart(source, hourTs, p)),
    );
  }
  for (const hour of Object.values(next.bronze)) {
    if (hour.sealed && hour.files.length === 1) continue;
    if (hour.hourTs + HOUR_MS > plan.bronzeSealBeforeTs) continue;
    if (hour.files.length === 1) {
      hour.sealed = true;
      continue;
    }
    const rows = hour.files.reduce((n, f) => n + f.rows, 0);
    const file = await place(bronzeFile(hour.source, hour.hourTs, nextSeq()), async (p) => ({
      rows,
      bytes: await joinGzipFiles(
        hour.files.map((f) => abs(f.path)),
        p,
      ),
    }));
    replaced.push(...hour.files.map((f) => f.path));
    hour.files = [file];
    hour.sealed = true;
  }
}

/**
 * fsyncs every directory between new names and the lake directory (new entries, new `date=` and
 * `venue=` directories). The files themselves are fsynced as they are placed (DuckDB and the gzip
 * writer do not), so a manifest never names a file that a power loss can take.
 */
async function syncDirs(lakeDir: string, names: readonly string[]): Promise<void> {
  const dirs = new Set<string>();
  for (const name of names) {
    for (let dir = dirname(join(lakeDir, name)); relative(lakeDir, dir) !== ''; dir = dirname(dir))
      dirs.add(dir);
  }
  if (names.length > 0) dirs.add(lakeDir);
  await Promise.all([...dirs].map(fsyncPath));
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
