import { stat } from 'node:fs/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Trade, UnixMs } from '../domain/index.js';
import { newTradeFields, readTradeFields, type TradeFields } from '../log/index.js';
import type { IdChains } from './id-chains.js';
import { readParquetSql, sqlList, sqlText } from './sql.js';
import { openStagedTable, type StagedGroup, type StagedTable } from './staged-table.js';
import { createTradeStaging, type SeriesHour } from './staging.js';

/**
 * Silver trades: consumed trades are staged as columns (`staging.ts`), and each flush loads
 * them into DuckDB one (venue, hour) at a time and copies them out as a Parquet part file. Sealing an hour compacts
 * its files into one, deduplicated by `(venue, symbol, tradeId)` and sorted by
 * `(symbol, ts, id_num, trade_id)`. The Parquet columns are the silver schema of
 * `src/batch/job.ts`.
 */
export interface SilverStore {
  /** Stages trades handed over as objects. */
  append(trades: readonly Trade[]): void;
  /** Stages one trade read as fields (a bulk load's reader reuses the object). */
  appendFields(fields: TradeFields): void;
  /** Stages trades as the log holds them (`TOPICS.trades` values), without decoding them to objects. */
  appendEncoded(values: readonly Uint8Array[]): void;
  /** Per venue, the largest `ts` staged since the last call. */
  takeVenueMaxTs(): Map<string, UnixMs>;
  /** Rows staged since the last `clear`. */
  stagedRows(): number;
  /** The (venue, hour) groups of the staged rows. */
  stagedHours(): { venue: string; hourTs: UnixMs; rows: number }[];
  /**
   * Writes the staged rows of one venue's hour to `path`, sorted. `chain` is the writer run's id
   * when every series' ids continued its `IdChains` strictly (no duplicate among the rows, nor
   * with the run's other parts of the hour that carry it).
   */
  writePart(venue: string, hourTs: UnixMs, path: string): Promise<WrittenFile & { chain?: string }>;
  /**
   * Writes the union of `files` and (with `withStaged`) the staged rows of the hour to `path`,
   * deduplicated (the first received copy of a trade wins) and sorted.
   */
  compact(
    venue: string,
    hourTs: UnixMs,
    files: readonly string[],
    withStaged: boolean,
    path: string,
  ): Promise<WrittenFile>;
  /** Rows that repeat the `(venue, symbol, trade_id)` of an earlier row, over the files. */
  duplicates(files: readonly string[]): Promise<number>;
  /** How many threads DuckDB uses for what follows. */
  useThreads(threads: number): Promise<void>;
  clear(): Promise<void>;
  close(): void;
}

export interface WrittenFile {
  rows: number;
  bytes: number;
}

/**
 * Silver columns of `staged` rows of one venue, whose `symbol_index` indexes
 * `symbols`. A filter and projections only: DuckDB keeps the rows in the order they were loaded (a join
 * would not).
 */
function silverColumns(venue: string, symbols: readonly string[]): string {
  return `${sqlText(venue)} AS venue, ${sqlList(symbols)}[symbol_index + 1] AS symbol,
  coalesce(trade_id, id::BIGINT::VARCHAR) AS trade_id,
  CASE WHEN id IS NOT NULL THEN id::BIGINT
    WHEN regexp_full_match(trade_id, '[0-9]{1,18}') THEN trade_id::BIGINT END AS id_num,
  ts::BIGINT AS ts, price, qty, is_buy, count, recv_ts::BIGINT AS recv_ts`;
}

/**
 * Silver's Parquet: zstd at level 1 (about half the CPU of the default level 3, files within 1%
 * of its size), format 2 encodings (delta-packed integers, byte-stream-split doubles: 15%
 * smaller files), and a dictionary only for columns of few values (venue, symbol, count): with
 * a limit of 4,096, a column of unique values gives its dictionary up early rather than hashing
 * its values up to the default limit. Parts written before, in the default format, read as
 * they did (Parquet files describe their own encodings).
 */
const PARQUET = `(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARQUET_VERSION V2, DICTIONARY_SIZE_LIMIT 4096)`;
/** A silver file's sort order: by series, then `(ts, tradeId)` as ARCHITECTURE.md §4 orders trades. */
const SILVER_ORDER = 'venue, symbol, ts, id_num, trade_id';

/**
 * `eager`: rows go to DuckDB as the staging's chunks fill, not all at the commit (see
 * `StagedTable`): a bulk load's, whose series come one file, so one symbol, at a time.
 */
export async function openSilverStore(
  chains: IdChains,
  options: { eager?: boolean } = {},
): Promise<SilverStore> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection: DuckDBConnection = await instance.connect();
  const table: StagedTable = await openStagedTable(connection, options.eager === true);
  const staging = createTradeStaging(chains, options.eager === true ? table.take : undefined);
  let usedThreads = 2;
  const fields = newTradeFields();

  /**
   * `staged` holds every staged row once loaded, at the first write of a commit, in one appender
   * session (one per hour cost twice as much, on the caller's thread). Undefined when rows were
   * staged since.
   */
  let loaded: Promise<{ groups: Map<string, StagedGroup>; symbols: string[] }> | undefined;
  const loadAll = (): NonNullable<typeof loaded> => {
    loaded ??= table.load(staging);
    return loaded;
  };
  /**
   * The staged rows of one venue's hour: its series, and a query of their silver columns in
   * silver's order (a filter and a projection keep the order rows were loaded in).
   */
  const load = async (
    venue: string,
    hourTs: UnixMs,
  ): Promise<{ hours: SeriesHour[]; ordered: boolean; select: string }> => {
    const { groups, symbols } = await loadAll();
    const group = groups.get(`${venue}|${hourTs}`);
    return {
      hours: group?.hours ?? [],
      ordered: group?.ordered ?? true,
      select: `SELECT ${silverColumns(venue, symbols)} FROM staged WHERE hour_index = ${group?.index ?? -1}`,
    };
  };
  // Copies run on connections of their own, two at a time at most: an hour's rows are one row
  // group, which one copy writes on one thread, so two hours in flight keep two threads busy.
  const copiers = [await instance.connect(), await instance.connect()];
  const idleCopiers = [...copiers];
  const waiting: ((c: DuckDBConnection) => void)[] = [];
  const copy = async (select: string, path: string): Promise<WrittenFile> => {
    const copier = idleCopiers.pop() ?? (await new Promise<DuckDBConnection>((r) => waiting.push(r)));
    try {
      const result = await copier.runAndReadAll(`COPY (${select}) TO ${sqlText(path)} ${PARQUET}`);
      const rows = Number(result.getRows()[0]?.[0] ?? 0);
      return { rows, bytes: (await stat(path)).size };
    } finally {
      const next = waiting.shift();
      if (next === undefined) idleCopiers.push(copier);
      else next(copier);
    }
  };
  /** Rows of `relation` repeating the `(venue, symbol, trade_id)` of an earlier one. */
  const countDuplicates = async (relation: string): Promise<number> => {
    const result = await connection.runAndReadAll(
      `SELECT count(*) - count(DISTINCT (venue, symbol, trade_id)) FROM ${relation}`,
    );
    return Number(result.getRows()[0]?.[0] ?? 0);
  };

  return {
    append(trades) {
      loaded = undefined;
      for (const t of trades) staging.pushTrade(t);
    },
    appendFields(f) {
      loaded = undefined;
      staging.pushFields(f);
    },
    appendEncoded(values) {
      loaded = undefined;
      for (const value of values) {
        readTradeFields(value, fields);
        staging.pushFields(fields);
      }
    },
    takeVenueMaxTs: () => staging.takeVenueMaxTs(),
    stagedRows: () => staging.rows(),
    stagedHours() {
      const out: { venue: string; hourTs: UnixMs; rows: number }[] = [];
      for (const h of staging.seriesHours()) {
        const last = out[out.length - 1];
        if (last !== undefined && last.venue === h.venue && last.hourTs === h.hourTs) last.rows += h.rows;
        else out.push({ venue: h.venue, hourTs: h.hourTs, rows: h.rows });
      }
      return out;
    },
    async writePart(venue, hourTs, path) {
      const { hours, ordered, select } = await load(venue, hourTs);
      // When every series came in order and was loaded after the other, `staged` is sorted
      // already and the copy keeps its order (DuckDB preserves insertion order through a scan, a
      // filter and a projection).
      const order = ordered && hours.every((h) => h.sorted) ? '' : `ORDER BY ${SILVER_ORDER}`;
      const written = await copy(`${select} ${order}`, path);
      return hours.every((h) => h.strictIds) ? { ...written, chain: chains.runId } : written;
    },
    async compact(venue, hourTs, files, withStaged, path) {
      const parts: string[] = [];
      if (files.length > 0) parts.push(`SELECT * FROM ${readParquetSql(files)}`);
      if (withStaged) parts.push((await load(venue, hourTs)).select);
      const union = `(${parts.join(' UNION ALL BY NAME ')})`;
      // Duplicates are rare (the log writer drops most): count them first, and only pay for
      // the window that removes them when there are some.
      const dedupe =
        (await countDuplicates(union)) > 0
          ? 'QUALIFY row_number() OVER (PARTITION BY venue, symbol, trade_id ORDER BY recv_ts, ts) = 1'
          : '';
      return copy(`SELECT * FROM ${union} ${dedupe} ORDER BY ${SILVER_ORDER}`, path);
    },
    duplicates: (files) => countDuplicates(readParquetSql(files)),
    async useThreads(threads) {
      if (threads === usedThreads) return;
      await connection.run(`SET threads = ${Math.max(1, Math.floor(threads))}`);
      usedThreads = threads;
    },
    async clear() {
      loaded = undefined;
      staging.clear();
      await table.clear();
    },
    close() {
      table.close();
      for (const copier of copiers) copier.closeSync();
      connection.closeSync();
      instance.closeSync();
    },
  };
}
