import type { DurationMs, UnixMs } from './units.js';

/** Candle intervals, aligned to UTC (a day starts at 00:00 UTC). */
export const INTERVALS = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type Interval = (typeof INTERVALS)[number];

export const INTERVAL_MS: Readonly<Record<Interval, DurationMs>> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

export function isInterval(value: unknown): value is Interval {
  return typeof value === 'string' && (INTERVALS as readonly string[]).includes(value);
}

/** The open time of the bucket a timestamp belongs to: `floor(ts / interval) * interval`. */
export function bucketStart(ts: UnixMs, intervalMs: DurationMs): UnixMs {
  return Math.floor(ts / intervalMs) * intervalMs;
}
