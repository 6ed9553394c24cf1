import {
  compareText,
  type Interval,
  type SeriesKey,
  type SymbolInfo,
  symbolKey,
  type UnixMs,
  utcDayStart,
} from '../domain/index.js';
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

/**
 * Finds the series a request means in a list of series. `symbol` is matched case-insensitively
 * and with or without its dash (`BTCUSDT` finds `BTC-USDT`). Without `venue`, the venues listing
 * the symbol are candidates: `defaultVenue` wins when among them, else the first in alphabetical
 * order. Throws `UNKNOWN_VENUE` (field `venue`) or `UNKNOWN_SYMBOL` (field `symbol`).
 */
export function resolveSeries(
  catalogue: readonly SymbolInfo[],
  request: { venue?: string | undefined; symbol: string },
  defaultVenue: string,
): SymbolInfo {
  const key = symbolKey(request.symbol);
  return pickSeries(
    catalogue.filter((s) => symbolKey(s.symbol) === key),
    request,
    defaultVenue,
    (venue) => catalogue.some((s) => s.venue === venue),
  );
}

/**
 * Picks the series a request means among `candidates`, the series whose `symbolKey` is the
 * request's (see `resolveSeries`); `venueKnown` says whether any series is on a venue, to tell
 * `UNKNOWN_VENUE` from `UNKNOWN_SYMBOL`. A dashed request matches only that exact symbol.
 */
export function pickSeries(
  candidates: readonly SymbolInfo[],
  request: { venue?: string | undefined; symbol: string },
  defaultVenue: string,
  venueKnown: (venue: string) => boolean,
): SymbolInfo {
  const wanted = request.symbol.toUpperCase();
  const matches = wanted.includes('-') ? candidates.filter((s) => s.symbol === wanted) : candidates;
  if (request.venue !== undefined) {
    const venue = request.venue.toLowerCase();
    const match = matches.find((s) => s.venue === venue);
    if (match !== undefined) return match;
    if (!venueKnown(venue)) {
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

/** The canonical channel name of a candle series. */
export function candleChannel(series: SeriesKey & { interval: Interval }): string {
  return `candles:${series.venue}:${series.symbol}:${series.interval}`;
}
