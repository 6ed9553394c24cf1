import { CryptoLambdaError, type Trade, type UnixMs } from '../domain/index.js';
import { LOG_ERRORS } from './event-log.js';
import { createInternTable, intern } from './intern.js';
import type { Codec } from './topics.js';

/**
 * The `trades` topic's codec: a fixed binary layout instead of JSON, because every trade is
 * encoded once and decoded by each consumer, on the pipeline's hottest path (JSON.stringify
 * alone cost more than parsing the exchange's frame).
 *
 * Layout (little endian): u8 version = 1 · f64 ts · f64 price · f64 qty · f64 recvTs ·
 * u32 count · u8 side (0 buy, 1 sell) · u8 venue length + venue (ASCII) · u8 symbol length +
 * symbol (ASCII) · u16 tradeId length + tradeId (UTF-8).
 */
const VERSION = 1;
const FIXED_BYTES = 1 + 8 * 4 + 4 + 1;

/** The bytes `tradeBinaryCodec.encode(t)` takes. */
export function encodedTradeBytes(t: Trade): number {
  return FIXED_BYTES + 1 + t.venue.length + 1 + t.symbol.length + 2 + utf8Bytes(t.tradeId);
}

/**
 * Writes `tradeBinaryCodec.encode(t)` into `buf` at `pos` (which must have room for
 * `encodedTradeBytes(t)`); returns the position after it. Lets a producer pack many trades into
 * one buffer, byte for byte as `encode` would make each.
 */
export function encodeTradeInto(buf: Buffer, pos: number, t: Trade): number {
  buf[pos] = VERSION;
  buf.writeDoubleLE(t.ts, pos + 1);
  buf.writeDoubleLE(t.price, pos + 9);
  buf.writeDoubleLE(t.qty, pos + 17);
  buf.writeDoubleLE(t.recvTs, pos + 25);
  buf.writeUInt32LE(t.count, pos + 33);
  buf[pos + 37] = t.side === 'buy' ? 0 : 1;
  let o = pos + FIXED_BYTES;
  o = writeShortLatin1(buf, o, t.venue);
  o = writeShortLatin1(buf, o, t.symbol);
  const id = t.tradeId;
  const idStart = o + 2;
  let idEnd = idStart;
  if (isAscii(id)) {
    for (let i = 0; i < id.length; i++) buf[idEnd++] = id.charCodeAt(i);
  } else {
    idEnd += buf.write(id, idStart, 'utf8');
  }
  buf.writeUInt16LE(idEnd - idStart, o);
  return idEnd;
}

export const tradeBinaryCodec: Codec<Trade> = {
  encode(t) {
    const buf = Buffer.allocUnsafe(encodedTradeBytes(t));
    encodeTradeInto(buf, 0, t);
    return buf;
  },
  decode(bytes) {
    const buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return decodeTradeAt(buf, 0, buf.length);
  },
};

/** A trade's venue and symbol, as strings a decoder may take instead of reading them. */
export interface SeriesName {
  venue: string;
  symbol: string;
}

/**
 * Decodes the trade encoded in `buf[pos, end)`: `tradeBinaryCodec.decode` of those bytes, without
 * making a view of them first (for a consumer of many trades packed in one buffer).
 *
 * `series`, when the caller knows the trade's venue and symbol (its producer said so), gives
 * them without reading their bytes: with thousands of symbols, finding the string made before
 * for a symbol's bytes (`intern`) missed the CPU caches and was a tenth of the main thread.
 * @throws CryptoLambdaError `LOG_CORRUPT` when the bytes are not a binary trade.
 */
export function decodeTradeAt(buf: Buffer, pos: number, end: number, series?: SeriesName): Trade {
  const o = readHeader(buf, pos, end, series);
  return {
    venue: o.venue,
    symbol: o.symbol,
    tradeId: decodeId(buf, o.idStart, o.idEnd),
    ts: buf.readDoubleLE(pos + 1),
    price: buf.readDoubleLE(pos + 9),
    qty: buf.readDoubleLE(pos + 17),
    side: buf[pos + 37] === 0 ? 'buy' : 'sell',
    count: buf.readUInt32LE(pos + 33),
    recvTs: buf.readDoubleLE(pos + 25),
  };
}

/** A trade's fields as a columnar consumer takes them: the id as a number where it is one. */
export interface TradeFields {
  venue: string;
  symbol: string;
  /** The trade id when it is a plain integer (as `tradeId` is `String(idNum)`), else `NaN`. */
  idNum: number;
  /** The trade id when `idNum` is `NaN`, else `''`. */
  idText: string;
  ts: UnixMs;
  price: number;
  qty: number;
  buy: boolean;
  count: number;
  recvTs: UnixMs;
}

/** A `TradeFields` to pass to `readTradeFields` again and again. */
export function newTradeFields(): TradeFields {
  return {
    venue: '',
    symbol: '',
    idNum: 0,
    idText: '',
    ts: 0,
    price: 0,
    qty: 0,
    buy: false,
    count: 0,
    recvTs: 0,
  };
}

/**
 * Reads the trade `tradeBinaryCodec.encode` made into `out` without building a `Trade` or, for
 * a plain integer id, its string (for consumers that keep trades as columns, like the lake).
 * @throws CryptoLambdaError `LOG_CORRUPT` when the bytes are not a binary trade.
 */
export function readTradeFields(bytes: Uint8Array, out: TradeFields): void {
  // The log's values are views of one read buffer: one Buffer and one DataView over it serve all.
  if (bytes.buffer !== fieldsView.buffer) {
    fieldsView = new DataView(bytes.buffer);
    fieldsBuf = Buffer.from(bytes.buffer);
  }
  const buf = fieldsBuf;
  const at = bytes.byteOffset;
  const o = readHeader(buf, at, at + bytes.byteLength);
  out.venue = o.venue;
  out.symbol = o.symbol;
  out.idNum = plainIntegerId(buf, o.idStart, o.idEnd);
  out.idText = Number.isNaN(out.idNum) ? buf.toString('utf8', o.idStart, o.idEnd) : '';
  out.ts = fieldsView.getFloat64(at + 1, true);
  out.price = fieldsView.getFloat64(at + 9, true);
  out.qty = fieldsView.getFloat64(at + 17, true);
  out.recvTs = fieldsView.getFloat64(at + 25, true);
  out.count = fieldsView.getUint32(at + 33, true);
  out.buy = buf[at + 37] === 0;
}
let fieldsView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
let fieldsBuf: Buffer = Buffer.alloc(0);

/** The venue, the symbol and where the id lies, of the trade encoded in `buf[pos, end)`. */
interface Header {
  venue: string;
  symbol: string;
  idStart: number;
  idEnd: number;
}
const header: Header = { venue: '', symbol: '', idStart: 0, idEnd: 0 };

/** Fills and returns one shared `Header` (read it before the next call); `series` names the strings. */
function readHeader(buf: Buffer, pos: number, end: number, series?: SeriesName): Header {
  if (end - pos < FIXED_BYTES + 4 || buf[pos] !== VERSION || end > buf.length) {
    throw new CryptoLambdaError(
      LOG_ERRORS.corrupt,
      `not a version ${VERSION} binary trade (${Math.max(0, end - pos)} bytes)`,
    );
  }
  let o = pos + FIXED_BYTES;
  const venueLength = buf[o++]!;
  header.venue = series?.venue ?? intern(venues, buf, o, Math.min(venueLength, end - o));
  o += venueLength;
  const symbolLength = o < end ? buf[o++]! : 0;
  header.symbol = series?.symbol ?? intern(symbols, buf, o, Math.max(0, Math.min(symbolLength, end - o)));
  o += symbolLength;
  if (o + 2 > end) {
    throw new CryptoLambdaError(
      LOG_ERRORS.corrupt,
      `binary trade of ${end - pos} bytes ends inside its strings`,
    );
  }
  const idLength = buf.readUInt16LE(o);
  header.idStart = o + 2;
  header.idEnd = Math.min(o + 2 + idLength, end);
  return header;
}

/**
 * The UTF-8 trade id in `buf[start, end)`. Most are plain integers (no sign, no leading zero,
 * at most 15 digits): for those `String(value)` gives the same text, and is cheaper to make.
 */
function decodeId(buf: Buffer, start: number, end: number): string {
  const value = plainIntegerId(buf, start, end);
  return Number.isNaN(value) ? buf.toString('utf8', start, end) : String(value);
}

/** The id in `buf[start, end)` as a number if it is a plain integer, else `NaN`. */
function plainIntegerId(buf: Buffer, start: number, end: number): number {
  const n = end - start;
  if (n < 1 || n > 15 || (n > 1 && buf[start] === 0x30)) return Number.NaN;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = buf[i]! - 0x30;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** u8 length + the string's chars as latin1 bytes (as `Buffer.write(s, 'latin1')` writes them). */
function writeShortLatin1(buf: Buffer, pos: number, s: string): number {
  const n = s.length;
  buf[pos] = n;
  let o = pos + 1;
  for (let i = 0; i < n; i++) buf[o++] = s.charCodeAt(i);
  return o;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function utf8Bytes(s: string): number {
  return isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
}

/** One table per field, so a venue and a symbol never evict each other. */
const venues = createInternTable(64, 32, 'latin1');
// Sized for tens of thousands of symbols: at 64 slots, 10,000 symbols missed on almost every record.
const symbols = createInternTable(65_536, 32, 'latin1');
