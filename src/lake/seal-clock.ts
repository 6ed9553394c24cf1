import { settledBefore, type TimePolicy, type UnixMs, watermarkOf } from '../domain/index.js';
import { HOUR_MS, hourOf } from './layout.js';
import { hourKey, type LakeManifest, type SilverHour } from './manifest.js';

/**
 * When the lake may seal a venue's hour (ARCHITECTURE.md §5): once the venue's watermark has
 * passed the hour's end plus the allowed lateness. It tracks, as trades are staged, each venue's
 * largest event time and last arrival, and each trades partition's largest event time and
 * whether it is still behind the log's end.
 */
export interface SealClock {
  /** Notes staged trades: per venue their largest `ts`; returns the largest over all. */
  staged(venueMaxTs: ReadonlyMap<string, UnixMs>, nowMs: UnixMs): UnixMs;
  /** Notes the largest event time staged from a trades partition. */
  partitionMaxTs(p: number, maxTs: UnixMs): void;
  /** Notes, after a round, which partitions still have records waiting. */
  partitionsBehind(behind: readonly boolean[]): void;
  /** Whether any trades partition is behind the log's end. */
  anyBehind(): boolean;
  /** Per venue, the end of the hours that may be sealed now; `sealAll` at the end of input. */
  frontiers(sealAll: boolean, nowMs: UnixMs): Map<string, UnixMs>;
  /** Whether an open hour of `manifest`, other than the `held` ones (`hourKey`), may be sealed now. */
  sealDue(manifest: LakeManifest, nowMs: UnixMs, held: ReadonlySet<string>): boolean;
  /** Venue progress as staged, for the next commit. */
  venues(): LakeManifest['venues'];
  /** Takes in a committed manifest's venues: sealed frontiers raised, venues and times a commit beside the consumer brought. */
  adopt(committed: LakeManifest['venues']): void;
}

export interface SealClockOptions {
  time: TimePolicy;
  /** Live: a venue quiet this long (wall clock) also seals the hours the wall clock has left behind. */
  idleSealMs: number;
  live: boolean;
  partitions: number;
}

export function createSealClock(initial: LakeManifest['venues'], options: SealClockOptions): SealClock {
  const venues: LakeManifest['venues'] = structuredClone(initial);
  const { time, live, idleSealMs } = options;
  /**
   * A venue's watermark never passes a partition that is behind: catching up partition by
   * partition, one read ahead in one partition must not make trades still unread in another late.
   */
  const partitions = Array.from({ length: options.partitions }, () => ({
    maxTs: Number.NEGATIVE_INFINITY,
    behind: true,
  }));
  // The open hours of the last commit: asked after every read, they are listed once per commit
  // rather than found among every hour the lake ever held.
  let openHoursOf: LakeManifest | undefined;
  let openHoursHeld: ReadonlySet<string> | undefined;
  let openHours: SilverHour[] = [];

  const frontiers = (sealAll: boolean, nowMs: UnixMs): Map<string, UnixMs> => {
    const out = new Map<string, UnixMs>();
    let behindTs = Number.POSITIVE_INFINITY;
    for (const state of partitions) if (state.behind && state.maxTs < behindTs) behindTs = state.maxTs;
    for (const [name, v] of Object.entries(venues)) {
      const newestHourEnd = hourOf(v.maxTs) + HOUR_MS;
      let until = Math.max(
        v.sealedUntilTs,
        hourOf(settledBefore(watermarkOf(Math.min(v.maxTs, behindTs), time), time)),
      );
      if (sealAll) until = Math.max(until, newestHourEnd);
      else if (live && nowMs - v.lastArrivalMs >= idleSealMs) {
        const wallUntil = hourOf(settledBefore(watermarkOf(nowMs, time), time));
        until = Math.max(until, Math.min(wallUntil, newestHourEnd));
      }
      out.set(name, until);
    }
    return out;
  };

  return {
    staged(venueMaxTs, nowMs) {
      let batchMaxTs = Number.NEGATIVE_INFINITY;
      for (const [name, maxTs] of venueMaxTs) {
        if (maxTs > batchMaxTs) batchMaxTs = maxTs;
        const venue = venues[name];
        if (venue === undefined) venues[name] = { maxTs, sealedUntilTs: -1, lastArrivalMs: nowMs };
        else {
          if (maxTs > venue.maxTs) venue.maxTs = maxTs;
          venue.lastArrivalMs = nowMs;
        }
      }
      return batchMaxTs;
    },
    partitionMaxTs(p, maxTs) {
      const state = partitions[p];
      if (state !== undefined && maxTs > state.maxTs) state.maxTs = maxTs;
    },
    partitionsBehind(behind) {
      behind.forEach((b, p) => {
        const state = partitions[p];
        if (state !== undefined) state.behind = b;
      });
    },
    anyBehind: () => partitions.some((p) => p.behind),
    frontiers,
    sealDue(manifest, nowMs, held) {
      if (openHoursOf !== manifest || openHoursHeld !== held) {
        openHours = Object.values(manifest.hours).filter(
          (h) => !h.sealed && !held.has(hourKey(h.venue, h.hourTs)),
        );
        openHoursOf = manifest;
        openHoursHeld = held;
      }
      if (openHours.length === 0) return false;
      const until = frontiers(false, nowMs);
      return openHours.some((h) => h.hourTs + HOUR_MS <= (until.get(h.venue) ?? Number.NEGATIVE_INFINITY));
    },
    venues: () => structuredClone(venues),
    adopt(committed) {
      // A commit beside the consumer (a bulk load) may bring venues and times it never staged.
      for (const [name, v] of Object.entries(committed)) {
        const state = venues[name];
        if (state === undefined) venues[name] = { ...v };
        else {
          state.maxTs = Math.max(state.maxTs, v.maxTs);
          state.sealedUntilTs = Math.max(state.sealedUntilTs, v.sealedUntilTs);
        }
      }
    },
  };
}
