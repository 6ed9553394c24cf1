import {
  BOOLEAN,
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  INTEGER,
  VARCHAR,
} from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { UnixMs } from '../domain/index.js';
import type { SeriesHour, StagedChunk, TradeStaging } from './staging.js';

/**
 * The `staged` table of a silver store: its staged rows in DuckDB, each with its (venue, hour)
 * group's index and its symbol's, integer trade ids and times as DOUBLE (exact below 2^53).
 *
 * Loaded one of two ways:
 * - **at the commit** (`eager` off, the lake writer's): every row in one appender session,
 *   series by series in silver's order, so an hour whose series each came in order is sorted;
 * - **as chunks fill** (`eager`, a bulk load's): each full chunk (and a series' last chunk of an
 *   hour once the series moved on) goes to DuckDB at once and its columns are reused, so the
 *   rows of a day are never all held twice, nor as V8 external memory (whose growth had V8 run a
 *   full mark-compact every 100–300 ms of a load). An hour stays sorted while its series come one
 *   after the other in symbol order (the files of a backfill, one symbol each); else it is sorted
 *   when written.
 */
export interface StagedGroup {
  index: number;
  hours: SeriesHour[];
  /** Its rows were loaded series after series, in symbol order (each series' in staged order). */
  ordered: boolean;
}

export interface StagedTable {
  /** Loads a chunk of a series-hour now (`eager`); false when it waits for `load`. */
  take(hour: SeriesHour, chunk: StagedChunk): boolean;
  /** Loads what `staging` still holds: `staged` then holds every staged row. */
  load(staging: TradeStaging): Promise<{ groups: Map<string, StagedGroup>; symbols: string[] }>;
  /** Empties the table (and opens the next appender session when eager). */
  clear(): Promise<void>;
  close(): void;
}

/** Rows `load` appends before it lets the event loop run (a few milliseconds' work). */
const ROWS_PER_TURN = 16_384;

/** The `staged` table's columns, in order. */
const STAGED_TYPES = [INTEGER, INTEGER, VARCHAR, DOUBLE, DOUBLE, DOUBLE, DOUBLE, BOOLEAN, INTEGER, DOUBLE];
const [HOUR_INDEX, SYMBOL_INDEX, TRADE_ID, ID, TS, PRICE, QTY, IS_BUY, COUNT, RECV_TS] = STAGED_TYPES.map(
  (_, i) => i,
) as [number, number, number, number, number, number, number, number, number, number];

interface GroupState extends StagedGroup {
  lastSymbol: string | undefined;
  symbols: Set<string>;
}

export async function openStagedTable(connection: DuckDBConnection, eager: boolean): Promise<StagedTable> {
  await connection.run(`CREATE TABLE staged (
    hour_index INTEGER, symbol_index INTEGER, trade_id VARCHAR, id DOUBLE, ts DOUBLE, price DOUBLE, qty DOUBLE,
    is_buy BOOLEAN, count INTEGER, recv_ts DOUBLE)`);
  let groups = new Map<string, GroupState>();
  let symbolIndex = new Map<string, number>();
  let appender: DuckDBAppender | undefined = eager ? await connection.createAppender('staged') : undefined;

  const groupOf = (venue: string, hourTs: UnixMs): GroupState => {
    const key = `${venue}|${hourTs}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { index: groups.size, hours: [], ordered: true, lastSymbol: undefined, symbols: new Set() };
      groups.set(key, group);
    }
    return group;
  };
  const append = (to: DuckDBAppender, hour: SeriesHour, chunk: StagedChunk): void => {
    const group = groupOf(hour.venue, hour.hourTs);
    if (hour.symbol !== group.lastSymbol) {
      // A series met again, or one that sorts before the last: the hour is no longer in order.
      if (
        group.symbols.has(hour.symbol) ||
        (group.lastSymbol !== undefined && hour.symbol < group.lastSymbol)
      )
        group.ordered = false;
      group.symbols.add(hour.symbol);
      group.lastSymbol = hour.symbol;
    }
    let symbol = symbolIndex.get(hour.symbol);
    if (symbol === undefined) {
      symbol = symbolIndex.size;
      symbolIndex.set(hour.symbol, symbol);
    }
    to.appendDataChunk(dataChunk(group.index, symbol, chunk));
  };

  return {
    take(hour, chunk) {
      if (appender === undefined) return false;
      append(appender, hour, chunk);
      return true;
    },
    async load(staging) {
      if (!eager) {
        await connection.run('DELETE FROM staged');
        groups = new Map();
        symbolIndex = new Map();
      }
      const to = appender ?? (await connection.createAppender('staged'));
      appender = undefined;
      try {
        for (const group of groups.values()) group.hours = [];
        let rowsSinceYield = 0;
        for (const hour of staging.seriesHours()) {
          groupOf(hour.venue, hour.hourTs).hours.push(hour);
          for (const chunk of hour.chunks) {
            append(to, hour, chunk);
            // Appending runs on the event loop's thread: a live flush of 10 s at 50,000 trades/s
            // (500,000 rows) held it for about 200 ms, every WebSocket update waiting behind it.
            // The staging is the commit's own (the consumer stages into the other): it cannot
            // change while this waits.
            rowsSinceYield += chunk.rows;
            if (rowsSinceYield >= ROWS_PER_TURN) {
              rowsSinceYield = 0;
              await new Promise<void>((resolve) => setImmediate(resolve));
            }
          }
        }
      } finally {
        to.closeSync();
      }
      return { groups, symbols: [...symbolIndex.keys()] };
    },
    async clear() {
      appender?.closeSync();
      appender = undefined;
      await connection.run('DELETE FROM staged');
      groups = new Map();
      symbolIndex = new Map();
      if (eager) appender = await connection.createAppender('staged');
    },
    close() {
      appender?.closeSync();
      appender = undefined;
    },
  };
}

/** One staged chunk as a DuckDB data chunk of `staged`, its columns copied in whole. */
function dataChunk(hourIndex: number, symbolIndex: number, chunk: StagedChunk): DuckDBDataChunk {
  const { rows } = chunk;
  const out = DuckDBDataChunk.create(STAGED_TYPES, rows);
  const vector = (column: number): duckdb.Vector => duckdb.data_chunk_get_vector(out.chunk, column);
  const put = (
    column: number,
    values: Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>,
  ): void =>
    duckdb.copy_data_to_vector(
      vector(column),
      0,
      values.buffer,
      values.byteOffset,
      rows * values.BYTES_PER_ELEMENT,
    );
  put(HOUR_INDEX, new Int32Array(rows).fill(hourIndex));
  put(SYMBOL_INDEX, new Int32Array(rows).fill(symbolIndex));
  put(ID, chunk.idNum);
  put(TS, chunk.ts);
  put(PRICE, chunk.price);
  put(QTY, chunk.qty);
  put(IS_BUY, chunk.buy);
  put(COUNT, chunk.count);
  put(RECV_TS, chunk.recvTs);
  // `trade_id` holds the ids that are not integers, `id` the others; each is NULL where the other is set.
  const texts = chunk.texts;
  const textValid = new Uint8Array(Math.ceil(rows / 64) * 8);
  if (texts !== undefined) {
    const idValid = new Uint8Array(textValid.length).fill(0xff);
    const idVector = vector(ID);
    const textVector = vector(TRADE_ID);
    for (const [row, text] of texts) {
      textValid[row >> 3] = (textValid[row >> 3] as number) | (1 << (row & 7));
      idValid[row >> 3] = (idValid[row >> 3] as number) & ~(1 << (row & 7));
      duckdb.vector_assign_string_element(textVector, row, text);
    }
    setValidity(idVector, idValid);
  }
  setValidity(vector(TRADE_ID), textValid);
  return out;
}

function setValidity(vector: duckdb.Vector, bits: Uint8Array<ArrayBuffer>): void {
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, bits.buffer, bits.byteOffset, bits.byteLength);
}
