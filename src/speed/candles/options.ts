import {
  CryptoLambdaError,
  type DurationMs,
  type Interval,
  isInterval,
  TIME_POLICY_DEFAULTS,
  type TimePolicy,
} from '../../domain/index.js';
import { SPEED_ERRORS } from '../errors.js';

/**
 * Options of the candle operator (ARCHITECTURE.md §4, §5). The event-time bounds are the shared
 * `TimePolicy` (the lake seals by the same ones); give the operator the process's one policy.
 */
export interface CandleOperatorOptions extends TimePolicy {
  /**
   * Intervals to build, each independently; any subset of the domain `INTERVALS`, no repeats.
   * @default ['1m', '5m', '15m', '1h', '4h', '1d']
   */
  intervals: readonly Interval[];
  /**
   * Live mode only (`onWallClock`): a bucket also closes once the wall clock reaches
   * `end + maxOutOfOrdernessMs + idleCloseMs`, so a quiet symbol's candle closes about 3 s after
   * its end with the defaults. Small enough to look on time on a chart, large enough that
   * trades delayed by a slow network (up to `maxOutOfOrdernessMs + idleCloseMs`) still land
   * before the close instead of revising it.
   * @default 2000
   */
  idleCloseMs: DurationMs;
  /**
   * Live mode only: `onWallClock` closes buckets of a series only while its newest trade is
   * at most this old by the wall clock. A replay of old data beside a live source therefore
   * keeps closing on event time alone; a live symbol quiet for longer than this stops getting
   * idle-closed empty candles until its next trade, which fills the gap as usual.
   * @default 3_600_000
   */
  liveHorizonMs: DurationMs;
  /**
   * When the `open` update of a bucket that took a trade is emitted: `each-trade` emits one per
   * trade and interval; `on-drain` marks the bucket and emits its latest state once, at the next
   * `drainOpen` (the runner drains after every batch it applies). Closed and revised candles are
   * emitted at once either way. `on-drain` spares a candle object per trade and interval on the
   * hot path; live views still see every bucket's latest state within one batch.
   * @default 'each-trade'
   */
  openUpdates: 'each-trade' | 'on-drain';
  /**
   * With `on-drain`: which series' `open` updates anybody wants (live subscribers). A bucket of
   * a series nobody watches is not even marked: with thousands of series nearly every trade
   * opens a bucket in each interval, and marking them all cost more than the candles. Whoever
   * wants a series later reads its open buckets (`openCandlesOf`) and gets updates from then
   * on. Without it, every series' updates are made.
   */
  openInterest?: OpenInterest;
}

/** Who wants `open` updates (see `CandleOperatorOptions.openInterest`). */
export interface OpenInterest {
  /** Changes whenever `wants` may answer differently; the operator asks `wants` again then. */
  version(): number;
  wants(venue: string, symbol: string, interval: Interval): boolean;
}

/** The defaults, one object typed as the full options type. */
export const CANDLE_OPERATOR_DEFAULTS: CandleOperatorOptions = {
  intervals: ['1m', '5m', '15m', '1h', '4h', '1d'],
  ...TIME_POLICY_DEFAULTS,
  idleCloseMs: 2000,
  liveHorizonMs: 3_600_000,
  openUpdates: 'each-trade',
};

function checkDuration(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CryptoLambdaError(
      SPEED_ERRORS.badOptions,
      `${name} must be a non-negative integer of ms, got ${String(value)}`,
    );
  }
}

/** Merges options over the defaults and checks them. */
export function resolveCandleOptions(options: Partial<CandleOperatorOptions> = {}): CandleOperatorOptions {
  const resolved: CandleOperatorOptions = { ...CANDLE_OPERATOR_DEFAULTS, ...options };
  const { intervals } = resolved;
  if (!Array.isArray(intervals) || intervals.length === 0) {
    throw new CryptoLambdaError(SPEED_ERRORS.badOptions, 'intervals must list at least one interval');
  }
  for (const interval of intervals) {
    if (!isInterval(interval)) {
      throw new CryptoLambdaError(SPEED_ERRORS.badOptions, `unknown interval ${JSON.stringify(interval)}`);
    }
  }
  if (new Set(intervals).size !== intervals.length) {
    throw new CryptoLambdaError(SPEED_ERRORS.badOptions, `intervals repeat: ${intervals.join(',')}`);
  }
  checkDuration('maxOutOfOrdernessMs', resolved.maxOutOfOrdernessMs);
  checkDuration('allowedLatenessMs', resolved.allowedLatenessMs);
  checkDuration('idleCloseMs', resolved.idleCloseMs);
  checkDuration('liveHorizonMs', resolved.liveHorizonMs);
  if (resolved.openUpdates !== 'each-trade' && resolved.openUpdates !== 'on-drain') {
    throw new CryptoLambdaError(
      SPEED_ERRORS.badOptions,
      `openUpdates must be 'each-trade' or 'on-drain', got ${String(resolved.openUpdates)}`,
    );
  }
  return { ...resolved, intervals: [...intervals] };
}
