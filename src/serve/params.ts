import { compareText, type Interval, type UnixMs, utcDayStart } from '../domain/index.js';
import type { SymbolInfo } from './deps.js';
import { invalidParameter, serveError } from './errors.js';

/** Date only (`2024-01-02`, read as 00:00 UTC) or date-time with a mandatory zone (`Z`, `+01:00`). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * Parses a time parameter: integer ms since the Unix epoch, or ISO-8601. A date-time without a
 * zone is refused rather than guessed, since the server's zone is not the caller's.
 */
export function parseTimeParam(field: string, raw: string): UnixMs {
  if (/^\d+$/.test(raw)) {
    const ms = Number(raw);
    if (!Number.isSafeInteger(ms)) throw invalidParameter(field, `"${field}" is out of range`);
    return ms;
  }
  if (ISO_8601.test(raw) && utcDayStart(raw.slice(0, 10)) !== undefined) {
    const ms = Date.parse(raw);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  throw invalidParameter(
    field,
    `"${field}" must be integer ms since the Unix epoch or ISO-8601 with a zone, got "${raw}"`,
  );
}

/**
 * Parses a UTC day parameter, `YYYY-MM-DD`, refusing days that do not exist (`2024-02-30`,
 * `2024-13-40`). Throws `INVALID_PARAMETER` naming `field`.
 */
export function parseDateParam(field: string, raw: string | undefined): string | undefined {
  if (raw === undefined || utcDayStart(raw) !== undefined) return raw;
  throw invalidParameter(field, `"${field}" must be a real UTC day as YYYY-MM-DD, got "${raw}"`);
}

export interface SeriesKey {
  venue: string;
  symbol: string;
}

/**
 * Finds the series a request means. `symbol` is matched case-insensitively and with or without
 * its dash (`BTCUSDT` finds `BTC-USDT`). Without `venue`, the venues listing the symbol are
 * candidates: `defaultVenue` wins when among them, else the first in alphabetical order.
 * Throws `UNKNOWN_VENUE` (field `venue`) or `UNKNOWN_SYMBOL` (field `symbol`).
 */
export function resolveSeries(
  catalogue: readonly SymbolInfo[],
  request: { venue?: string | undefined; symbol: string },
  defaultVenue: string,
): SymbolInfo {
  const wanted = request.symbol.toUpperCase();
  const dashless = !wanted.includes('-');
  const matches = catalogue.filter(
    (s) => s.symbol === wanted || (dashless && s.symbol.replace('-', '') === wanted),
  );
  if (request.venue !== undefined) {
    const venue = request.venue.toLowerCase();
    const match = matches.find((s) => s.venue === venue);
    if (match !== undefined) return match;
    if (!catalogue.some((s) => s.venue === venue)) {
      throw serveError('UNKNOWN_VENUE', `no symbols are known on venue "${venue}"`, 'venue');
    }
    throw serveError('UNKNOWN_SYMBOL', `unknown symbol "${request.symbol}" on venue "${venue}"`, 'symbol');
  }
  const preferred =
    matches.find((s) => s.venue === defaultVenue) ??
    [...matches].sort((a, b) => compareText(a.venue, b.venue))[0];
  if (preferred === undefined)
    throw serveError('UNKNOWN_SYMBOL', `unknown symbol "${request.symbol}"`, 'symbol');
  return preferred;
}

/** The speed watermark of a series from a status report, or null before its first trade. */
export function speedWatermark(
  watermarks: readonly { venue: string; symbol: string; watermarkTs: UnixMs }[],
  series: SeriesKey,
): UnixMs | null {
  const found = watermarks.find((w) => w.venue === series.venue && w.symbol === series.symbol);
  return found === undefined ? null : found.watermarkTs;
}

/** The canonical channel name of a candle series. */
export function candleChannel(series: SeriesKey & { interval: Interval }): string {
  return `candles:${series.venue}:${series.symbol}:${series.interval}`;
}
