import type { DuckDBConnection } from '@duckdb/node-api';
import { HOUR_MS, readParquetSql, sqlList } from '../lake/index.js';
import type { CandleSource } from './candles-sql.js';

/**
 * Where `candlesSql` reads trades from, and the key that orders them within a bucket: planned
 * from the silver files' row-group statistics (`silverCandleSources`), or from known bounds
 * (`orderKeySql`).
 */

/** Bounds of the trades of one source, from Parquet statistics or a query; unknown bounds are null. */
export interface TradeKeyStats {
  minTs: bigint | null;
  maxTs: bigint | null;
  minId: bigint | null;
  maxId: bigint | null;
  /** Trades whose `id_num` is NULL (ids that are not decimal numbers); null when unknown. */
  nullIds: bigint | null;
}

/**
 * The order key used when the packed one does not fit: a struct, compared field by field with
 * NULL ids last, as `ORDER BY ts, id_num, trade_id` does. Exact for any id, about half as fast.
 */
export const GENERAL_ORDER_KEY = '(ts, id_num, trade_id)';

/** Packed keys stay below 2^62: positive BIGINTs, with a bit to spare. */
const KEY_BITS = 62;

interface Packing {
  bits: number;
  expr: string;
}

const bitLength = (n: bigint): number => (n <= 0n ? 0 : n.toString(2).length);

/**
 * Two ways to map a column's values into `bits` low bits keeping their order: masking, which is
 * free but needs `bits` to cover every bit where min and max differ (min and max in one aligned
 * block), and subtracting the minimum, an overflow-checked operation that needs only the range.
 */
function packings(column: string, min: bigint, max: bigint): Packing[] {
  const maskBits = bitLength(min ^ max);
  const rangeBits = bitLength(max - min);
  const mask: Packing = { bits: maskBits, expr: `(${column} & ${(1n << BigInt(maskBits)) - 1n})` };
  if (rangeBits >= maskBits) return [mask];
  return [mask, { bits: rangeBits, expr: `(${column} - ${min})` }];
}

/**
 * The order key for trades within the given bounds: `(ts, id_num)` packed into one BIGINT when
 * every id is a number and both fit in 62 bits together (a UTC day takes 27 to 28 bits of ts,
 * leaving 34 for ids: Binance's are near 2^32), else `GENERAL_ORDER_KEY`. `arg_min`/`arg_max`
 * over a BIGINT are about twice as fast as over a struct or a HUGEINT. `trade_id` is left out of
 * the packed key: a numeric id is its `id_num`.
 */
export function orderKeySql(stats: TradeKeyStats | undefined): string {
  if (stats === undefined) return GENERAL_ORDER_KEY;
  const { minTs, maxTs, minId, maxId, nullIds } = stats;
  if (minTs === null || maxTs === null || minId === null || maxId === null || nullIds !== 0n)
    return GENERAL_ORDER_KEY;
  if (minTs < 0n || minId < 0n || maxTs < minTs || maxId < minId) return GENERAL_ORDER_KEY;
  for (const ts of packings('ts', minTs, maxTs)) {
    for (const id of packings('id_num', minId, maxId)) {
      if (ts.bits + id.bits <= KEY_BITS) return `((${ts.expr} << ${id.bits}) | ${id.expr})`;
    }
  }
  return GENERAL_ORDER_KEY;
}

/**
 * The order key of trades read with their row numbers (`readParquetSql`'s `fileRowNumber`) from
 * files that each hold all of one venue's hour. Silver files are sorted by
 * `(venue, symbol, ts, id_num, trade_id)`, so within a file, and so within any bucket of up to an
 * hour, the row number orders trades as `(ts, id_num, trade_id)` does. It is the cheapest key:
 * neither `ts` nor `id_num` is read or combined for it.
 */
export const ROW_ORDER_KEY = 'file_row_number';

/** The lake's hour partition, for bounds read as BIGINT. */
const LAKE_HOUR_MS = BigInt(HOUR_MS);

/**
 * The sources of candles over silver Parquet `files`, planned from the files' row-group
 * statistics (footers only). Each venue gets its own sources, so a venue whose ids are not
 * numbers does not slow down the others, and ids of different venues need not share a key:
 * - the files that are alone in their hour of the venue: ordered by row number (`ROW_ORDER_KEY`);
 * - the other files (an hour of several parts, or a file spanning hours): ordered by the key
 *   their bounds allow (`orderKeySql`).
 *
 * Files whose venue is unknown or mixed put every file into one source, keyed by bounds. Either
 * way no bucket is ever split across two sources: a bucket lies within one venue's hour.
 */
export async function silverCandleSources(
  connection: DuckDBConnection,
  files: readonly string[],
): Promise<CandleSource[]> {
  if (files.length === 0) return [];
  const reader = await connection.runAndReadAll(
    `SELECT file_name, path_in_schema AS col, stats_min_value AS lo, stats_max_value AS hi,
       stats_null_count AS nulls, min_is_exact AND max_is_exact AS exact
     FROM parquet_metadata(${sqlList(files)})
     WHERE path_in_schema IN ('venue', 'ts', 'id_num')`,
  );
  const byFile = new Map<string, RowGroupStats[]>();
  for (const row of reader.getRowObjectsJS()) {
    const file = String(row['file_name']);
    const list = byFile.get(file) ?? [];
    const exact = row['exact'] !== false;
    list.push({ col: String(row['col']), lo: row['lo'], hi: row['hi'], nulls: row['nulls'], exact });
    byFile.set(file, list);
  }
  // A file without row groups has no statistics and no trades: it is left out.
  const perFile = [...byFile].map(([file, rows]) => ({ file, ...fileStats(rows) }));
  if (!perFile.every((f) => f.venue !== null)) return [keyedSource(perFile)];
  const byVenue = new Map<string, FileStats[]>();
  for (const f of perFile) {
    const venue = f.venue ?? '';
    const list = byVenue.get(venue) ?? [];
    list.push(f);
    byVenue.set(venue, list);
  }
  return [...byVenue].flatMap(([venue, venueFiles]) => {
    const alone = new Set(filesAloneInTheirHour(venueFiles));
    const rest = venueFiles.filter((f) => !alone.has(f));
    const byRow = [...alone].map((f) => f.file);
    const rowOptions = { unionByName: true, fileRowNumber: true };
    return [
      ...(byRow.length === 0
        ? []
        : [{ relation: readParquetSql(byRow, rowOptions), orderKey: ROW_ORDER_KEY, venue }]),
      ...(rest.length === 0 ? [] : [{ ...keyedSource(rest), venue }]),
    ];
  });
}

interface FileStats {
  file: string;
  venue: string | null;
  keys: TradeKeyStats;
}

/** One source over `files`, ordered by the key their joint bounds allow. */
function keyedSource(files: readonly FileStats[]): CandleSource {
  const keys = files.map((f) => f.keys).reduce(mergeStats);
  return {
    relation: readParquetSql(
      files.map((f) => f.file),
      { unionByName: true },
    ),
    orderKey: orderKeySql(keys),
  };
}

/**
 * The files of one venue that are the only file of their UTC hour. None when a file's times are
 * unknown or span hours: its buckets could then share a bucket with any other file.
 */
function filesAloneInTheirHour(files: readonly FileStats[]): FileStats[] {
  const hours = new Map<bigint, FileStats[]>();
  for (const f of files) {
    const { minTs, maxTs } = f.keys;
    if (minTs === null || maxTs === null || minTs < 0n || minTs / LAKE_HOUR_MS !== maxTs / LAKE_HOUR_MS)
      return [];
    const hour = minTs / LAKE_HOUR_MS;
    const list = hours.get(hour) ?? [];
    list.push(f);
    hours.set(hour, list);
  }
  return [...hours.values()].flatMap((list) => (list.length === 1 ? list : []));
}

interface RowGroupStats {
  col: string;
  lo: unknown;
  hi: unknown;
  nulls: unknown;
  /** False when the writer truncated the bounds (long strings). */
  exact: boolean;
}

/** A file's venue (null when unknown or several) and key bounds, from its row groups' statistics. */
function fileStats(rows: readonly RowGroupStats[]): Omit<FileStats, 'file'> {
  const venues = new Set(
    rows
      .filter((r) => r.col === 'venue')
      .map((r) => (typeof r.lo === 'string' && r.lo === r.hi && r.exact ? r.lo : null)),
  );
  const venue = venues.size === 1 ? ([...venues][0] ?? null) : null;
  const ts = columnBounds(rows.filter((r) => r.col === 'ts'));
  // A file without an id_num column reads as all NULL ids: unknown bounds, the general key.
  const id = columnBounds(rows.filter((r) => r.col === 'id_num'));
  return {
    venue,
    keys: { minTs: ts.min, maxTs: ts.max, minId: id.min, maxId: id.max, nullIds: id.nulls },
  };
}

/** The bounds of one column over row groups; null where any row group lacks the statistic. */
function columnBounds(rows: readonly RowGroupStats[]): {
  min: bigint | null;
  max: bigint | null;
  nulls: bigint | null;
} {
  let min: bigint | null = null;
  let max: bigint | null = null;
  let nulls: bigint | null = 0n;
  rows.forEach((r, i) => {
    const lo = toBigInt(r.lo);
    const hi = toBigInt(r.hi);
    min = i === 0 ? lo : minOf(min, lo);
    max = i === 0 ? hi : maxOf(max, hi);
    nulls = sumOf(nulls, toBigInt(r.nulls));
  });
  return rows.length === 0 ? { min: null, max: null, nulls: null } : { min, max, nulls };
}

function toBigInt(value: unknown): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return null;
}

const minOf = (a: bigint | null, b: bigint | null): bigint | null =>
  a === null || b === null ? null : a < b ? a : b;
const maxOf = (a: bigint | null, b: bigint | null): bigint | null =>
  a === null || b === null ? null : a > b ? a : b;
const sumOf = (a: bigint | null, b: bigint | null): bigint | null =>
  a === null || b === null ? null : a + b;

/** Bounds of the union of two sets of trades. */
function mergeStats(a: TradeKeyStats, b: TradeKeyStats): TradeKeyStats {
  return {
    minTs: minOf(a.minTs, b.minTs),
    maxTs: maxOf(a.maxTs, b.maxTs),
    minId: minOf(a.minId, b.minId),
    maxId: maxOf(a.maxId, b.maxId),
    nullIds: sumOf(a.nullIds, b.nullIds),
  };
}
