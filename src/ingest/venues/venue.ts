import type { UnixMs } from '../../domain/index.js';
import type { TradeFields } from '../../log/index.js';
import type { ParseResult } from './parse.js';

/**
 * One market of a venue. Its trades carry `venue` as their `Trade.venue`, so they are
 * deduplicated, stored and served apart from every other market's (ARCHITECTURE.md §3: one
 * venue id per market type; Binance spot and USD-M futures reuse trade ids).
 */
export interface MarketDef {
  /** `Trade.venue`, lower case: `binance`, `binance-usdm`. */
  readonly venue: string;
  /** For people: `Binance USD-M futures`. */
  readonly title: string;
}

/** The start of a file, as format detection sees it. */
export interface FileHead {
  /** The path as given: its folders may tell too (data.binance.vision's `futures/um/`). */
  readonly path: string;
  /** Its first lines (up to 16; blank ones included), an over-long one cut short. */
  readonly lines: readonly string[];
  /** The `symbol` option as the user wrote it, if any (`BTCUSD_PERP` tells a COIN-M dump). */
  readonly symbol: string | undefined;
}

/** What a file's name, or its folders, say in a venue's naming. */
export interface FileNameInfo {
  /** Canonical symbol, when the name gives one. */
  readonly symbol: string | undefined;
  /** Exclusive end of the period a dump covers (the day after its day, the month after its month). */
  readonly periodEndTs: UnixMs | undefined;
}

/** Reads the row in `buf[start, end)` into the `TradeFields` it was made for; false when it cannot. */
export type RowReader = (buf: Uint8Array, start: number, end: number) => boolean;

/**
 * Parses one line of a file into a trade, a rejection or nothing (`ignored`); never throws.
 * `origin` names the file (the replay sets `file:line` on rejections); `nowMs` is the
 * receiving clock, bounding event times from above and stamping rejections.
 */
export type LineParser = (line: string, origin: string, nowMs: number) => ParseResult;

/** A file format a venue's data comes in: how to recognise it and how to read its lines. */
export interface FileFormat {
  /** Unique across venues; a value of `--format`: `binance-usdm-aggtrades-csv`. */
  readonly id: string;
  /** For `--help` and messages: `Binance USD-M futures aggTrades CSV (data.binance.vision)`. */
  readonly title: string;
  /**
   * `rows`: every line is a record of one symbol, which the file name or the `symbol` option
   * gives (a CSV dump); `frames`: every line names its own symbol (recorded WebSocket frames).
   */
  readonly layout: 'rows' | 'frames';
  /** `Trade.venue` of its trades; undefined when each frame says (one recording may mix markets). */
  readonly market: string | undefined;
  /** Whether a file is in this format. Every registered format is asked; exactly one may say yes. */
  detect(head: FileHead): boolean;
  /** Whether a line is a header row rather than data; `first`: no data line came before it. */
  isHeader?(line: string, first: boolean): boolean;
  /** The receive time a recorded line carries (ms): bronze files a batch under it. */
  recvTs?(line: string): UnixMs | undefined;
  /** The parser of one file; `symbol` (canonical) is given for `rows` formats. */
  parser(symbol: string | undefined): LineParser;
  /**
   * Bulk loads (`backfill`): a reader of a row straight from its bytes into `out` for the spelling
   * the venue writes, answering false for anything else (which then goes to `parser`); it must
   * give exactly the trade `parser` gives, checks included. Optional: without it every line is
   * decoded and parsed. Undefined when `symbol` is not canonical.
   */
  fastRow?(symbol: string, nowMs: number, out: TradeFields): RowReader | undefined;
}

/**
 * A venue as a plain definition: its markets, how its symbols map to canonical ones, what its
 * file names say, and the file formats its data comes in. Adding a venue is a folder beside
 * `binance/` that exports one of these, and a line in `VENUES` (`venues/index.ts`); the replay,
 * `candles`, `start`, `replay` and `backfill` find its formats there.
 */
export interface VenueDef {
  /** Short id, its folder's name: `binance`. */
  readonly id: string;
  readonly markets: readonly MarketDef[];
  /** A symbol as the venue spells it (`XRPETH`, `xrpeth`) as canonical (`XRP-ETH`), or undefined. */
  toCanonical(venueSymbol: string): string | undefined;
  /** What a file's path says in the venue's naming; undefined when it says nothing. */
  fileName(path: string): FileNameInfo | undefined;
  readonly formats: readonly FileFormat[];
  /** A live connector: none yet. */
  readonly connector?: undefined;
}
