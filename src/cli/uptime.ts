import { join } from 'node:path';
import { CryptoLambdaError, type TimeRange, type UnixMs, type UptimeReader } from '../domain/index.js';
import { readJsonFile, writeFileAtomic } from '../log/index.js';
import { CLI_ERRORS } from './args.js';

/**
 * When the live pipeline ran, kept in `<dataDir>/uptime.json` so that the API can tell downtime
 * from a quiet market (the `gaps` of a candles response). Each run of `start` adds a run: its
 * start, a heartbeat every `heartbeatMs` while a source is running, and its end on a clean stop.
 * A run that crashed ends at its last heartbeat, so downtime is known to within `heartbeatMs`
 * and counted generously. Nothing is written while no source runs: an idle process writes
 * nothing (ARCHITECTURE.md §8). Written atomically (temporary file, fsync, rename).
 */
export interface UptimeOptions {
  /** How often a running pipeline records that it is still up. @default 30000 */
  heartbeatMs: number;
  /** The wall clock. @default Date.now */
  now: () => UnixMs;
}

export const UPTIME_DEFAULTS: UptimeOptions = { heartbeatMs: 30_000, now: Date.now };

/** One run of the live pipeline: up from `startTs` to `endTs`; `clean` when it stopped, not crashed. */
export interface UptimeRun {
  startTs: UnixMs;
  endTs: UnixMs;
  clean: boolean;
}

export interface UptimeRecord extends UptimeReader {
  /** The runs, oldest first, this one last (its `endTs` the last heartbeat). */
  runs(): readonly UptimeRun[];
  /** Starts the heartbeat; it writes only while `active()` says a source is running. */
  start(active: () => boolean): void;
  /** Records a clean stop. */
  close(): Promise<void>;
}

export const UPTIME_FILE = 'uptime.json';

/** Opens the record under `dataDir` and records the start of a new run. */
export async function openUptime(
  dataDir: string,
  options: Partial<UptimeOptions> = {},
): Promise<UptimeRecord> {
  const { heartbeatMs, now } = { ...UPTIME_DEFAULTS, ...options };
  const path = join(dataDir, UPTIME_FILE);
  const runs = await loadRuns(path);
  const current: UptimeRun = { startTs: now(), endTs: now(), clean: false };
  runs.push(current);
  const save = (): Promise<void> => writeFileAtomic(path, `${JSON.stringify({ version: 1, runs })}\n`);
  await save();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;

  return {
    runs: () => runs,
    start(active) {
      timer = setInterval(() => {
        if (!active()) return;
        current.endTs = now();
        writing = writing.then(save).catch(() => undefined);
      }, heartbeatMs);
      timer.unref();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await writing;
      current.endTs = now();
      current.clean = true;
      await save();
    },
    downtime(fromTs, toTs) {
      // This run is up until now; a crashed earlier run ended at its last heartbeat.
      const out: TimeRange[] = [];
      for (let i = 1; i < runs.length; i++) {
        const down = { fromTs: (runs[i - 1] as UptimeRun).endTs, toTs: (runs[i] as UptimeRun).startTs };
        const clipped = { fromTs: Math.max(down.fromTs, fromTs), toTs: Math.min(down.toTs, toTs) };
        if (clipped.fromTs < clipped.toTs) out.push(clipped);
      }
      return out;
    },
  };
}

async function loadRuns(path: string): Promise<UptimeRun[]> {
  let value: unknown;
  try {
    value = await readJsonFile(path);
  } catch (cause) {
    throw corrupt(path, cause);
  }
  if (value === undefined) return [];
  const runs = (value as { version?: unknown; runs?: unknown }).runs;
  const valid =
    (value as { version?: unknown }).version === 1 &&
    Array.isArray(runs) &&
    runs.every(
      (r: Partial<UptimeRun>) =>
        Number.isSafeInteger(r.startTs) &&
        Number.isSafeInteger(r.endTs) &&
        (r.endTs as number) >= (r.startTs as number) &&
        typeof r.clean === 'boolean',
    );
  if (!valid) throw corrupt(path);
  return (runs as UptimeRun[]).map((r) => ({ startTs: r.startTs, endTs: r.endTs, clean: r.clean }));
}

function corrupt(path: string, cause?: unknown): CryptoLambdaError {
  return new CryptoLambdaError(
    CLI_ERRORS.uptimeCorrupt,
    `${path} is not a valid uptime record: move it aside and start again (only the downtime marks of ` +
      'earlier runs are lost; the data is not)',
    cause === undefined ? {} : { cause },
  );
}
