/**
 * Units live in names and types. Every time inside crypto-lambda is an integer number of
 * milliseconds since the Unix epoch, UTC; venue dumps in seconds or microseconds are converted
 * at the edge (see `ingest`).
 */

/** Integer milliseconds since the Unix epoch, UTC. */
export type UnixMs = number;

/** A duration in milliseconds. Names carry the unit too: `windowMs`, `idleCloseMs`. */
export type DurationMs = number;

/** Earliest event time accepted anywhere: 2009-01-03, the Bitcoin genesis block. */
export const MIN_EVENT_TS: UnixMs = Date.UTC(2009, 0, 3);

/** How far into the future (relative to the receiving clock) an event time may lie. */
export const MAX_FUTURE_SKEW_MS: DurationMs = 24 * 60 * 60 * 1000;

/**
 * Converts a venue timestamp of unknown unit (s with a fraction, ms, or µs) to ms.
 * Dumps from data.binance.vision switched from ms to µs on 2025-01-01; the magnitude tells.
 */
export function toUnixMs(value: number): UnixMs {
  if (value >= 1e14) return Math.floor(value / 1000); // µs (ms would be past year 5000)
  if (value < 1e11) return Math.round(value * 1000); // seconds (ms would be before 1973)
  return Math.trunc(value);
}

/**
 * 00:00 UTC of a `YYYY-MM-DD` day, or undefined when the text is not a real day: `Date.parse`
 * alone would roll 2024-02-30 over to March.
 */
export function utcDayStart(ymd: string): UnixMs | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(ymd)) return undefined;
  const ts = Date.parse(`${ymd}T00:00:00Z`);
  return Number.isFinite(ts) && new Date(ts).toISOString().startsWith(ymd) ? ts : undefined;
}
