import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { isCanonicalSymbol } from './symbols.js';
import { MAX_FUTURE_SKEW_MS, MIN_EVENT_TS } from './units.js';

/**
 * A trade as the pipeline sees it, whatever the venue. Exchange payloads are parsed into this
 * shape at the connector edge and go no further.
 *
 * @example
 * { venue: 'binance', symbol: 'XRP-ETH', tradeId: '13519807', ts: 1570752011620,
 *   price: 0.00141342, qty: 23, side: 'sell', count: 1, recvTs: 1570752011700 }
 */
/** Largest `count`: the binary trade layout stores it in 32 bits. */
const MAX_COUNT = 4_294_967_295;

export const TradeSchema = Type.Object(
  {
    /** Venue id, lower case (`binance`, `bybit`, `coinbase`, `sim`). */
    venue: Type.String({ pattern: '^[a-z0-9_-]{1,32}$' }),
    /** Canonical `BASE-QUOTE`, upper case. */
    symbol: Type.String({ pattern: '^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$' }),
    /** The venue's trade id (for a Binance aggTrade, its aggregate id). */
    tradeId: Type.String({ minLength: 1, maxLength: 64 }),
    /** Event time, integer ms since the Unix epoch, UTC. */
    ts: Type.Integer(),
    price: Type.Number({ exclusiveMinimum: 0 }),
    /** Quantity in the base asset. */
    qty: Type.Number({ exclusiveMinimum: 0 }),
    /** The taker's side. */
    side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
    /** Raw trades this record stands for: 1, or `last - first + 1` for a Binance aggTrade. */
    count: Type.Integer({ minimum: 1, maximum: MAX_COUNT }),
    /** When we received it, ms since the Unix epoch. */
    recvTs: Type.Integer(),
  },
  { additionalProperties: false },
);
export type Trade = Static<typeof TradeSchema>;
export type Side = Trade['side'];

const tradeValidator = Compile(TradeSchema);

/** Stable reason codes for records that fail validation. */
export const REJECT_REASONS = [
  'bad_json',
  'bad_csv',
  'schema_mismatch',
  'unsupported_event',
  'invalid_price',
  'invalid_qty',
  'invalid_time',
  'time_out_of_range',
  'unknown_symbol',
  'invalid_id',
  'duplicate',
  /** A line longer than a reader takes (8 MiB); its first bytes are kept as the payload. */
  'line_too_long',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Invalid {
  reason: RejectReason;
  detail: string;
}

/**
 * Checks a trade built by a parser. Returns undefined when valid, or the first failure with a
 * stable reason code. The order matters: the most specific reason wins.
 */
export function checkTrade(trade: Trade, nowMs: number): Invalid | undefined {
  if (!(Number.isFinite(trade.price) && trade.price > 0)) {
    return { reason: 'invalid_price', detail: `price must be a positive number, got ${trade.price}` };
  }
  if (!(Number.isFinite(trade.qty) && trade.qty > 0)) {
    return { reason: 'invalid_qty', detail: `qty must be a positive number, got ${trade.qty}` };
  }
  if (!Number.isSafeInteger(trade.ts)) {
    return { reason: 'invalid_time', detail: `ts must be integer ms, got ${trade.ts}` };
  }
  if (trade.ts < MIN_EVENT_TS || trade.ts > nowMs + MAX_FUTURE_SKEW_MS) {
    return {
      reason: 'time_out_of_range',
      detail: `ts ${trade.ts} is outside [${MIN_EVENT_TS}, now + 1 day]`,
    };
  }
  if (!isCanonicalSymbol(trade.symbol)) {
    return { reason: 'unknown_symbol', detail: `symbol ${JSON.stringify(trade.symbol)} is not BASE-QUOTE` };
  }
  if (!(matchesSchemaFast(trade) || tradeValidator.Check(trade))) {
    const first = tradeValidator.Errors(trade)[0];
    const where = first === undefined ? '' : `${first.instancePath || '/'} ${first.message}`;
    return { reason: 'schema_mismatch', detail: `trade does not match the schema: ${where}` };
  }
  return undefined;
}

/**
 * The schema check by hand, for the hot path (the compiled check runs two regexes per trade):
 * true only when `tradeValidator.Check` would be true, given the checks `checkTrade` made before
 * it (price, qty, ts, symbol pattern). False decides nothing; the compiled check then does.
 */
function matchesSchemaFast(trade: Trade): boolean {
  const { tradeId } = trade;
  return (
    isVenueId(trade.venue) &&
    typeof trade.symbol === 'string' &&
    typeof tradeId === 'string' &&
    tradeId.length >= 1 &&
    tradeId.length <= 64 &&
    (trade.side === 'buy' || trade.side === 'sell') &&
    Number.isInteger(trade.count) &&
    trade.count >= 1 &&
    trade.count <= MAX_COUNT &&
    Number.isInteger(trade.recvTs) &&
    'venue' in trade &&
    'symbol' in trade &&
    'tradeId' in trade &&
    'ts' in trade &&
    'price' in trade &&
    'qty' in trade &&
    'side' in trade &&
    'count' in trade &&
    'recvTs' in trade &&
    Object.getOwnPropertyNames(trade).length === 9
  );
}

/** `^[a-z0-9_-]{1,32}$`, the schema's venue pattern. */
function isVenueId(venue: unknown): boolean {
  if (typeof venue !== 'string' || venue.length < 1 || venue.length > 32) return false;
  for (let i = 0; i < venue.length; i++) {
    const c = venue.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45)) return false;
  }
  return true;
}
