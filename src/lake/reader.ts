import { join } from 'node:path';
import type { UnixMs } from '../domain/index.js';
import { fnv1a32 } from '../log/index.js';
import { DAY_MS, dayStart, goldFile, HOUR_MS, utcDate } from './layout.js';
import { type LakeManifest, lakeSize, loadManifest, type SilverHour } from './manifest.js';

/**
 * What the batch layer reads of the lake: sealed silver hours only, and where gold goes.
 * Paths are absolute.
 */
export interface LakeReader {
  readonly lakeDir: string;
  /** Silver files of the sealed hours of the UTC days `fromDate..toDate`, inclusive. */
  silverFiles(fromDate: string, toDate: string): string[];
  /**
   * The exclusive end of the sealed input of a day: the earliest sealed frontier among the venues
   * with trades that day, capped at the day's end; undefined when no venue has trades that day.
   */
  untilTs(date: string): UnixMs | undefined;
  /** Changes whenever the sealed input of the day changes (a new sealed hour, late trades). */
  inputVersion(date: string): string;
  /** Days with any silver hour, oldest first. */
  dates(): string[];
  /** Absolute path of a job's gold file for a day. */
  goldPath(job: string, date: string): string;
  size(): { files: number; bytes: number };
}

/** A reader over a manifest held in this process (the lake writer's) or loaded by `openLakeReader`. */
export function createLakeReader(lakeDir: string, manifest: () => Readonly<LakeManifest>): LakeReader {
  // The hours by day, built once per manifest: a commit replaces the manifest object, so a new
  // object means a new index, and the scheduler's many questions per run scan no more.
  let indexed: Readonly<LakeManifest> | undefined;
  let byDate = new Map<string, SilverHour[]>();
  /** Input versions asked of this manifest (jobs that look back ask each day many times). */
  let versions = new Map<string, string>();
  const index = (): ReadonlyMap<string, readonly SilverHour[]> => {
    const m = manifest();
    if (m !== indexed) {
      byDate = new Map();
      versions = new Map();
      for (const h of Object.values(m.hours)) {
        const day = utcDate(h.hourTs);
        const list = byDate.get(day) ?? [];
        list.push(h);
        byDate.set(day, list);
      }
      for (const list of byDate.values())
        list.sort((a, b) => a.hourTs - b.hourTs || (a.venue < b.venue ? -1 : 1));
      indexed = m;
    }
    return byDate;
  };
  const hoursOf = (date: string): readonly SilverHour[] => index().get(date) ?? [];
  const sealedHoursOf = (date: string): SilverHour[] => hoursOf(date).filter((h) => h.sealed);
  const untilTs = (date: string): UnixMs | undefined => {
    const hours = hoursOf(date);
    if (hours.length === 0) return undefined;
    const start = dayStart(date);
    const { venues } = manifest();
    let until = start + DAY_MS;
    for (const h of hours) until = Math.min(until, Math.max(start, venues[h.venue]?.sealedUntilTs ?? start));
    return Math.floor(until / HOUR_MS) * HOUR_MS;
  };
  return {
    lakeDir,
    silverFiles(fromDate, toDate) {
      const out: string[] = [];
      for (let ts = dayStart(fromDate); ts <= dayStart(toDate); ts += DAY_MS) {
        const date = utcDate(ts);
        const until = untilTs(date) ?? ts;
        for (const h of sealedHoursOf(date)) {
          if (h.hourTs + HOUR_MS <= until) for (const f of h.files) out.push(join(lakeDir, f.path));
        }
      }
      return out;
    },
    untilTs,
    inputVersion(date) {
      index();
      let version = versions.get(date);
      if (version === undefined) {
        const until = untilTs(date);
        const files = sealedHoursOf(date).flatMap((h) => h.files.map((f) => f.path));
        version = `${until ?? 'none'}:${files.length}:${fnv1a32(files.join('\n')).toString(16)}`;
        versions.set(date, version);
      }
      return version;
    },
    dates: () => [...index().keys()].sort(),
    goldPath: (job, date) => join(lakeDir, goldFile(job, date)),
    size: () => lakeSize(manifest()),
  };
}

/** A reader of the manifest on disk as it is now (for a process that does not write the lake). */
export async function openLakeReader(lakeDir: string): Promise<LakeReader> {
  const manifest = await loadManifest(lakeDir);
  return createLakeReader(lakeDir, () => manifest);
}
