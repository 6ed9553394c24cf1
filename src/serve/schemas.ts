import { type Static, Type } from 'typebox';
import {
  BatchStatusSchema,
  CandleSchema,
  DailyMarketMetricSchema,
  INTERVALS,
  IntervalSchema,
  JobRunSchema,
  MOVER_PERIODS,
  MoverPeriodSchema,
  MoverSchema,
  MoverTypeSchema,
  QualityCheckSchema,
  QualityStatusSchema,
  REJECTED_KEPT,
  RejectedCountsSchema,
  RejectedSchema,
  SymbolInfoSchema,
  TimeRangeSchema,
  TrendingScoreSchema,
  UtcDateSchema,
} from '../domain/index.js';

/**
 * Wire shapes of the serving layer, declared once as TypeBox schemas: fastify validates
 * requests and serializes responses with them, and they produce the OpenAPI document.
 */

/** Integer ms since the Unix epoch, UTC, or null when unknown. */
const NullableTs = Type.Union([Type.Integer(), Type.Null()]);

export const ErrorResponseSchema = Type.Object(
  {
    error: Type.Object({
      /** A stable code from the serve catalogue (`errors.ts`); branch on it, never on the message. */
      code: Type.String(),
      message: Type.String(),
      /** The request parameter at fault, when there is one. */
      field: Type.Optional(Type.String()),
    }),
  },
  { description: 'Every error: a stable code, a message and the parameter at fault.' },
);
export type ErrorResponse = Static<typeof ErrorResponseSchema>;

/** The error responses of the batch-view routes: a bad parameter, a failure, no batch layer. */
export const BATCH_ERROR_RESPONSES = {
  400: ErrorResponseSchema,
  500: ErrorResponseSchema,
  503: ErrorResponseSchema,
} as const;

/** What `deps.status()` reports: sources, the speed layer, rejected records, throughput. */
export const PipelineStatusSchema = Type.Object({
  sources: Type.Array(
    Type.Object({
      name: Type.String(),
      state: Type.String(),
      /** Trades this source delivered since this process started. */
      trades: Type.Integer(),
      /**
       * Records of this source rejected since this process started (a record rejected again
       * after a restart is not counted twice); the log's total over every run is `rejected.total`.
       */
      rejected: Type.Integer(),
    }),
  ),
  speed: Type.Object({
    /** Records in the log not yet processed by the speed layer. */
    lag: Type.Integer(),
    tradesProcessed: Type.Integer(),
    lateDropped: Type.Integer(),
    revised: Type.Integer(),
    /** Per (venue, symbol): the largest event time seen minus the out-of-orderness bound. */
    watermarks: Type.Array(
      Type.Object({ venue: Type.String(), symbol: Type.String(), watermarkTs: Type.Integer() }),
    ),
  }),
  /** The records of the log's `rejected` topic: those `GET /api/v1/rejected` lists. */
  rejected: RejectedCountsSchema,
  throughput: Type.Object({ tradesPerSec: Type.Number() }),
  startedAt: Type.Integer(),
});
/** What `deps.status()` returns (the pipeline's part of `/api/v1/system/status`). */
export type SystemStatus = Static<typeof PipelineStatusSchema>;

/** `/api/v1/system/status`: the pipeline's status and the batch layer's (null without a lake). */
export const SystemStatusSchema = Type.Object({
  ...PipelineStatusSchema.properties,
  batch: Type.Union([BatchStatusSchema, Type.Null()]),
});
export type SystemStatusResponse = Static<typeof SystemStatusSchema>;

/** A candle as the API lists it: the series (venue, symbol, interval) is stated once, beside the list. */
export const CandleRowSchema = Type.Omit(CandleSchema, ['venue', 'symbol', 'interval']);

export const CandlesResponseSchema = Type.Object({
  venue: Type.String(),
  symbol: Type.String(),
  interval: IntervalSchema,
  /** Oldest first. */
  candles: Type.Array(CandleRowSchema),
  watermarks: Type.Object({
    /** The speed layer's watermark for this (venue, symbol), or null before its first trade. */
    speed: NullableTs,
    /**
     * This series' batch watermark: the end of its last hour every batch job has processed.
     * Buckets that end before it come from batch views. Null without a batch layer, or before a
     * batch job has processed an hour of the series. Each series has its own: a live venue
     * sealing its hours does not move the watermark of a replayed or quiet series.
     */
    batch: NullableTs,
  }),
  /**
   * Where the live pipeline was not running, among the answer's candles without trades: each a
   * `[fromTs, toTs)` range of downtime (from the pipeline's uptime record) clipped to an empty
   * candle's bucket, adjacent ones merged, oldest first. A flat zero-volume candle inside a gap is
   * downtime, not a quiet market. A candle with trades is never in a gap; a replay of data from a
   * time this pipeline did not run (the 2019 sample) has none. Empty when the process records no
   * uptime (a replay).
   */
  gaps: Type.Array(TimeRangeSchema),
});

export const SymbolsResponseSchema = Type.Object({ symbols: Type.Array(SymbolInfoSchema) });

/**
 * `GET /api/v1/rejected`: the records of the log's `rejected` topic, counted and listed from one
 * source; `total` and `byReason` are the `rejected` of `/api/v1/system/status`.
 */
export const RejectedResponseSchema = Type.Object({
  ...RejectedCountsSchema.properties,
  /** The newest `limit` of those `total` records, newest first: `min(limit, total)` of them. */
  rejected: Type.Array(RejectedSchema),
});

export const HealthResponseSchema = Type.Object({
  status: Type.Literal('ok'),
  /** Server clock, ms since the Unix epoch. */
  ts: Type.Integer(),
  uptimeMs: Type.Integer(),
});

/** Largest `limit` any list endpoint accepts. */
export const MAX_LIMIT = 10_000;

const SYMBOL_PATTERN = '^[A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,20})?$';
const VENUE_PATTERN = '^[A-Za-z0-9_-]{1,32}$';
const TIME_DESCRIPTION =
  'Bucket open time, inclusive: integer ms since the Unix epoch, or ISO-8601 with a time zone ' +
  '(`2024-01-02T03:04:05Z`, `2024-01-02T03:04:05+01:00`) or a UTC date (`2024-01-02`).';

export const CandlesQuerySchema = Type.Object(
  {
    venue: Type.Optional(
      Type.String({
        pattern: VENUE_PATTERN,
        description: 'Venue id. Default: the venue that lists the symbol (`binance` first when several do).',
      }),
    ),
    symbol: Type.String({
      pattern: SYMBOL_PATTERN,
      description: 'Canonical `BTC-USDT`; `BTCUSDT` and lower case are accepted and resolved.',
    }),
    interval: Type.Enum([...INTERVALS], { description: 'Candle interval.' }),
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: TIME_DESCRIPTION })),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: TIME_DESCRIPTION })),
    limit: Type.Integer({
      minimum: 1,
      maximum: MAX_LIMIT,
      default: 500,
      description: 'At most this many candles, the newest of the range.',
    }),
  },
  { additionalProperties: false },
);

export const RejectedQuerySchema = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: REJECTED_KEPT, default: 100 }) },
  { additionalProperties: false },
);

// Batch views (ARCHITECTURE.md §2, gold): the records are the domain's schemas, listed as they are.

const listLimit = (max: number, fallback: number) =>
  Type.Integer({
    minimum: 1,
    maximum: max,
    default: fallback,
    description: `1..${max}, default ${fallback}.`,
  });
const NullableDate = Type.Union([UtcDateSchema, Type.Null()]);

export const DailyQuerySchema = Type.Object(
  { date: Type.Optional(UtcDateSchema) },
  { additionalProperties: false },
);

export const DailyResponseSchema = Type.Object({
  /** The day listed; null when no day has been computed yet. */
  date: NullableDate,
  markets: Type.Array(DailyMarketMetricSchema),
});

export const MoversQuerySchema = Type.Object(
  {
    period: Type.Enum([...MOVER_PERIODS], { default: '24h', description: 'Default `24h`.' }),
    type: Type.Enum(['gainers', 'losers'], { default: 'gainers', description: 'Default `gainers`.' }),
    limit: listLimit(100, 10),
  },
  { additionalProperties: false },
);

export const MoversResponseSchema = Type.Object({
  period: MoverPeriodSchema,
  type: MoverTypeSchema,
  /** Exclusive end of the period ranked; null before the first movers run. */
  asOfTs: NullableTs,
  /** Rank 1 first. */
  movers: Type.Array(MoverSchema),
});

export const TrendingQuerySchema = Type.Object(
  { limit: listLimit(100, 10) },
  { additionalProperties: false },
);

export const TrendingResponseSchema = Type.Object({
  /** Open time of the hour scored; null before the first trending run. */
  hourTs: NullableTs,
  /** Rank 1 first. */
  trending: Type.Array(TrendingScoreSchema),
});

export const QualityQuerySchema = DailyQuerySchema;

export const QualityResponseSchema = Type.Object({
  /** The day checked; null before the first quality run. */
  date: NullableDate,
  /** The worst status among the checks (`pass` when there are none). */
  status: QualityStatusSchema,
  checks: Type.Array(QualityCheckSchema),
});

export const RunsQuerySchema = Type.Object(
  {
    limit: listLimit(500, 50),
    job: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'Only the runs of this job.' }),
    ),
  },
  { additionalProperties: false },
);

export const RunsResponseSchema = Type.Object({
  /** Newest first. */
  runs: Type.Array(JobRunSchema),
});
