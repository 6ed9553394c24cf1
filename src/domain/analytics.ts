import { type Static, Type } from 'typebox';
import { IntervalSchema } from './candle.js';

/**
 * The records of the batch layer's gold views (ARCHITECTURE.md §2), declared once: the batch
 * jobs write them as Parquet rows (snake_case columns of the same fields) and the API returns
 * them as JSON. Prices are in the symbol's quote asset; times are UTC ms.
 */

/** `YYYY-MM-DD`, a UTC day. */
export const UtcDateSchema = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

/** One symbol's day, from its trades of that UTC day. */
export const DailyMarketMetricSchema = Type.Object(
  {
    venue: Type.String(),
    symbol: Type.String(),
    date: UtcDateSchema,
    open: Type.Number(),
    high: Type.Number(),
    low: Type.Number(),
    close: Type.Number(),
    volume: Type.Number(),
    quoteVolume: Type.Number(),
    trades: Type.Integer(),
    /** quoteVolume / volume. */
    vwap: Type.Number(),
    /** close − the previous day's close; null on a symbol's first day. */
    change: Type.Union([Type.Number(), Type.Null()]),
    changePct: Type.Union([Type.Number(), Type.Null()]),
    /** √Σ r² over the day's 1-minute log returns of close; null with fewer than two minutes. */
    realizedVolatility: Type.Union([Type.Number(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type DailyMarketMetric = Static<typeof DailyMarketMetricSchema>;

export const MOVER_PERIODS = ['1h', '24h', '7d'] as const;
export type MoverPeriod = (typeof MOVER_PERIODS)[number];
export const MoverPeriodSchema = Type.Enum(MOVER_PERIODS);
export const MoverTypeSchema = Type.Union([Type.Literal('gainers'), Type.Literal('losers')]);
export type MoverType = Static<typeof MoverTypeSchema>;

/** A symbol's rank among gainers or losers over a period ending at `asOfTs`. */
export const MoverSchema = Type.Object(
  {
    period: MoverPeriodSchema,
    type: MoverTypeSchema,
    /** 1..100. */
    rank: Type.Integer({ minimum: 1 }),
    venue: Type.String(),
    symbol: Type.String(),
    /** Exclusive end of the period (the end of the last sealed hour). */
    asOfTs: Type.Integer(),
    /**
     * Price at `fromTs`: the close of the hour before the period, or, for a `partial` series,
     * the open of its first hour candle within the period (its first trade there).
     */
    open: Type.Number(),
    /** The close of the hour ending at `asOfTs`. */
    close: Type.Number(),
    /** (close − open) / open × 100. */
    changePct: Type.Number(),
    /** Σ over the period's hours (base asset). */
    volume: Type.Number(),
    quoteVolume: Type.Number(),
    /** Where the change is measured from: `asOfTs` − the period, or later when `partial`. */
    fromTs: Type.Integer(),
    /**
     * True when the series has less history than the period (no candle at its start): the
     * change is since its first candle within the period, at `fromTs`.
     */
    partial: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type Mover = Static<typeof MoverSchema>;

/**
 * A symbol's trending score for one hour: each component's raw value beside its normalized
 * value (0..1), and the weighted score built from them, so people can see why a coin trends.
 */
export const TrendingScoreSchema = Type.Object(
  {
    venue: Type.String(),
    symbol: Type.String(),
    /** Open time of the hour. */
    hourTs: Type.Integer(),
    rank: Type.Integer({ minimum: 1 }),
    score: Type.Number(),
    volatilityRaw: Type.Number(),
    volatilityScore: Type.Number(),
    volumeSpikeRaw: Type.Number(),
    volumeSpikeScore: Type.Number(),
    tradeGrowthRaw: Type.Number(),
    tradeGrowthScore: Type.Number(),
    whaleShareRaw: Type.Number(),
    whaleShareScore: Type.Number(),
  },
  { additionalProperties: false },
);
export type TrendingScore = Static<typeof TrendingScoreSchema>;

export const QualityStatusSchema = Type.Union([
  Type.Literal('pass'),
  Type.Literal('warn'),
  Type.Literal('fail'),
]);
export type QualityStatus = Static<typeof QualityStatusSchema>;

/** One data-quality check over one day of one venue (and symbol, where it applies). */
export const QualityCheckSchema = Type.Object(
  {
    /** `duplicates`, `trade_id_gaps`, `non_positive_price`, `time_out_of_range`, `freshness`. */
    check: Type.String(),
    date: UtcDateSchema,
    venue: Type.String(),
    /** Empty when the check is per venue. */
    symbol: Type.String(),
    status: QualityStatusSchema,
    value: Type.Number(),
    threshold: Type.Number(),
    detail: Type.String(),
  },
  { additionalProperties: false },
);
export type QualityCheck = Static<typeof QualityCheckSchema>;

export const RECONCILIATION_CAUSES = [
  'late_trade',
  'missing_in_speed',
  'missing_in_batch',
  'duplicate',
  'gap',
  'mismatch',
] as const;
export type ReconciliationCause = (typeof RECONCILIATION_CAUSES)[number];

/** A bucket where the speed layer's candle differs from the batch layer's. */
export const ReconciliationDiffSchema = Type.Object(
  {
    venue: Type.String(),
    symbol: Type.String(),
    interval: IntervalSchema,
    openTime: Type.Integer(),
    /** The first differing field: `volume`, `trades`, `close`, …, or `candle` when one side has none. */
    field: Type.String(),
    speed: Type.Union([Type.Number(), Type.Null()]),
    batch: Type.Union([Type.Number(), Type.Null()]),
    cause: Type.Enum(RECONCILIATION_CAUSES),
    detail: Type.String(),
  },
  { additionalProperties: false },
);
export type ReconciliationDiff = Static<typeof ReconciliationDiffSchema>;

export const JobRunStatusSchema = Type.Union([
  Type.Literal('running'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('blocked'),
]);
export type JobRunStatus = Static<typeof JobRunStatusSchema>;

/** One run of a batch job for one UTC day, as kept in the run history. */
export const JobRunSchema = Type.Object(
  {
    id: Type.String(),
    job: Type.String(),
    date: UtcDateSchema,
    /** `sealed` (its input hours sealed), `cron`, `manual`, `backfill`. */
    trigger: Type.String(),
    status: JobRunStatusSchema,
    attempts: Type.Integer({ minimum: 1 }),
    startedAt: Type.Integer(),
    finishedAt: Type.Union([Type.Integer(), Type.Null()]),
    durationMs: Type.Union([Type.Integer(), Type.Null()]),
    rows: Type.Integer(),
    /** Exclusive end of the input the run saw: sealed silver up to here. */
    inputUntilTs: Type.Integer(),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type JobRun = Static<typeof JobRunSchema>;
