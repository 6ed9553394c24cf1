import type { DuckDBConnection } from '@duckdb/node-api';
import type { UnixMs } from '../domain/index.js';

/**
 * A batch job is a plain definition object: its name, the jobs it reads the outputs of, its
 * cron schedule for re-opened partitions, and `run`, which computes one UTC day's output with
 * SQL on an embedded DuckDB connection and writes it as one Parquet file to `ctx.outputPath`.
 * The scheduler owns everything around it: which days to run, retries, run history, and the
 * atomic rename of `outputPath` over the day's previous output (ARCHITECTURE.md §6).
 *
 * Silver trades Parquet files (one venue's hour each: one file, or a few parts, see `src/lake`),
 * each sorted by (venue, symbol, ts, id_num, trade_id), with the columns:
 *   venue VARCHAR, symbol VARCHAR, trade_id VARCHAR,
 *   id_num BIGINT      -- trade_id as a number when it is decimal digits that fit, else NULL
 *   ts BIGINT          -- event time, ms UTC
 *   price DOUBLE, qty DOUBLE,
 *   is_buy BOOLEAN     -- the taker bought
 *   count INTEGER      -- raw trades it stands for
 *   recv_ts BIGINT     -- when we received it, ms UTC
 * Within a bucket trades are ordered by (ts, id_num, trade_id) (ARCHITECTURE.md §4).
 *
 * Gold outputs are one Parquet file per job and UTC day: `<lake>/gold/<job>/date=YYYY-MM-DD/<job>.parquet`,
 * columns the snake_case fields of the job's domain record (see `src/domain/analytics.ts`).
 */
export interface BatchJobDef {
  name: string;
  description: string;
  /** Jobs whose output this one reads; a failed or blocked dependency blocks it. */
  dependsOn: readonly string[];
  /** Cron expression (croner syntax) for re-runs of re-opened days, e.g. `5 * * * *`. */
  cron: string;
  /**
   * How many days before its date it reads (their silver, or gold the DAG made from it): a change
   * of their input makes this job's day due again, as a change of its own day's does. Default 0.
   */
  lookbackDays?: number;
  run(ctx: JobContext): Promise<JobOutput>;
}

export interface JobContext {
  connection: DuckDBConnection;
  /** The UTC day this run computes, `YYYY-MM-DD`. */
  date: string;
  /** 00:00 UTC of `date`. */
  dayStartTs: UnixMs;
  /**
   * Exclusive end of the input: the end of the last sealed hour of `date` (the next day's start
   * once the whole day is sealed). Outputs cover buckets that end at or before it.
   */
  untilTs: UnixMs;
  /** Silver files of sealed hours of the UTC days from `fromDate` to `toDate`, inclusive. */
  silverFiles(fromDate: string, toDate: string): string[];
  /** The committed gold file of `job` for `date`, when it has one. */
  goldFile(job: string, date: string): string | undefined;
  /** Where to write this run's Parquet output (a temporary name; the scheduler renames it). */
  outputPath: string;
  /** Wall clock of the run, for freshness checks. */
  nowMs: UnixMs;
}

export interface JobOutput {
  rows: number;
  /**
   * `failed` with a `message` when the job ran but its result says the data is bad (a quality
   * check failed): the output is kept, and the jobs downstream are blocked with the message.
   */
  status: 'ok' | 'failed';
  message?: string;
}
