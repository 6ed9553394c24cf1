import { type Candle, CryptoLambdaError, INTERVALS, type Interval } from '../domain/index.js';
import { LOG_ERRORS } from './event-log.js';
import { createInternTable, intern } from './intern.js';
import type { Codec } from './topics.js';

/**
 * The `candles` topic's codec: a fixed binary layout. With thousands of symbols the speed layer
 * closes about one candle for every two trades (every symbol's buckets, empty ones included), and
 * `JSON.stringify` of each was a tenth of the pipeline's time and most of its garbage.
 *
 * Layout (little endian): u8 version = 2 · u8 interval (index in `INTERVALS`) · u8 state (0 open,
 * 1 closed, 2 revised) · u8 source (0 speed, 1 batch) · f64 openTime · f64 closeTime · f64 open ·
 * f64 high · f64 low · f64 close · f64 volume · f64 quoteVolume · f64 trades ·
 * f64 takerBuyVolume · f64 takerBuyQuoteVolume · u8 venue length + venue · u8 symbol length +
 * symbol (ASCII, as canonical names are).
 *
 * Records written as JSON by earlier versions (they start with `{`) are still read.
 */
const VERSION = 2;
const FIXED_BYTES = 4 + 8 * 11;
const STATES = ['open', 'closed', 'revised'] as const;
const SOURCES = ['speed', 'batch'] as const;
const OPEN_BRACE = 0x7b;

const venues = createInternTable(64, 32, 'latin1');
const symbols = createInternTable(65_536, 32, 'latin1');
const decoder = new TextDecoder();

export const candleBinaryCodec: Codec<Candle> = {
  encode(c) {
    const buf = Buffer.allocUnsafe(FIXED_BYTES + 2 + c.venue.length + c.symbol.length);
    buf[0] = VERSION;
    buf[1] = INTERVALS.indexOf(c.interval);
    buf[2] = STATES.indexOf(c.state);
    buf[3] = SOURCES.indexOf(c.source);
    buf.writeDoubleLE(c.openTime, 4);
    buf.writeDoubleLE(c.closeTime, 12);
    buf.writeDoubleLE(c.open, 20);
    buf.writeDoubleLE(c.high, 28);
    buf.writeDoubleLE(c.low, 36);
    buf.writeDoubleLE(c.close, 44);
    buf.writeDoubleLE(c.volume, 52);
    buf.writeDoubleLE(c.quoteVolume, 60);
    buf.writeDoubleLE(c.trades, 68);
    buf.writeDoubleLE(c.takerBuyVolume, 76);
    buf.writeDoubleLE(c.takerBuyQuoteVolume, 84);
    let o = writeAscii(buf, FIXED_BYTES, c.venue);
    o = writeAscii(buf, o, c.symbol);
    return buf;
  },
  decode(bytes) {
    const buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf[0] === OPEN_BRACE) return JSON.parse(decoder.decode(buf)) as Candle;
    const interval = INTERVALS[buf[1] as number];
    const state = STATES[buf[2] as number];
    const source = SOURCES[buf[3] as number];
    const venueLength = buf[FIXED_BYTES];
    if (
      buf[0] !== VERSION ||
      interval === undefined ||
      state === undefined ||
      source === undefined ||
      venueLength === undefined
    ) {
      throw new CryptoLambdaError(LOG_ERRORS.corrupt, 'not a binary candle record');
    }
    const symbolAt = FIXED_BYTES + 1 + venueLength;
    const symbolLength = buf[symbolAt];
    if (symbolLength === undefined || symbolAt + 1 + symbolLength !== buf.length) {
      throw new CryptoLambdaError(LOG_ERRORS.corrupt, 'a binary candle record of the wrong length');
    }
    const n = (i: number): number => buf.readDoubleLE(4 + 8 * i);
    return {
      venue: intern(venues, buf, FIXED_BYTES + 1, venueLength),
      symbol: intern(symbols, buf, symbolAt + 1, symbolLength),
      interval: interval as Interval,
      openTime: n(0),
      closeTime: n(1),
      open: n(2),
      high: n(3),
      low: n(4),
      close: n(5),
      volume: n(6),
      quoteVolume: n(7),
      trades: n(8),
      takerBuyVolume: n(9),
      takerBuyQuoteVolume: n(10),
      state,
      source,
    };
  },
};

function writeAscii(buf: Buffer, pos: number, text: string): number {
  if (text.length > 255 || !isPrintableAscii(text)) {
    throw new CryptoLambdaError(
      LOG_ERRORS.invalidArgument,
      `not a short ASCII name: ${JSON.stringify(text)}`,
    );
  }
  buf[pos] = text.length;
  for (let i = 0; i < text.length; i++) buf[pos + 1 + i] = text.charCodeAt(i);
  return pos + 1 + text.length;
}

function isPrintableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}
