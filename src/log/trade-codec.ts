import { CryptoLambdaError, type Trade } from '../domain/index.js';
import { LOG_ERRORS } from './event-log.js';
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

export const tradeBinaryCodec: Codec<Trade> = {
  encode(t) {
    const idBytes = Buffer.byteLength(t.tradeId, 'utf8');
    const buf = Buffer.allocUnsafe(FIXED_BYTES + 1 + t.venue.length + 1 + t.symbol.length + 2 + idBytes);
    buf[0] = VERSION;
    buf.writeDoubleLE(t.ts, 1);
    buf.writeDoubleLE(t.price, 9);
    buf.writeDoubleLE(t.qty, 17);
    buf.writeDoubleLE(t.recvTs, 25);
    buf.writeUInt32LE(t.count, 33);
    buf[37] = t.side === 'buy' ? 0 : 1;
    let o = FIXED_BYTES;
    buf[o++] = t.venue.length;
    o += buf.write(t.venue, o, 'latin1');
    buf[o++] = t.symbol.length;
    o += buf.write(t.symbol, o, 'latin1');
    buf.writeUInt16LE(idBytes, o);
    o += 2;
    buf.write(t.tradeId, o, 'utf8');
    return buf;
  },
  decode(bytes) {
    const buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length < FIXED_BYTES + 4 || buf[0] !== VERSION) {
      throw new CryptoLambdaError(
        LOG_ERRORS.corrupt,
        `not a version ${VERSION} binary trade (${buf.length} bytes)`,
      );
    }
    let o = FIXED_BYTES;
    const venueLength = buf[o++]!;
    const venue = buf.toString('latin1', o, o + venueLength);
    o += venueLength;
    const symbolLength = buf[o++]!;
    const symbol = buf.toString('latin1', o, o + symbolLength);
    o += symbolLength;
    const idLength = buf.readUInt16LE(o);
    o += 2;
    return {
      venue,
      symbol,
      tradeId: buf.toString('utf8', o, o + idLength),
      ts: buf.readDoubleLE(1),
      price: buf.readDoubleLE(9),
      qty: buf.readDoubleLE(17),
      side: buf[37] === 0 ? 'buy' : 'sell',
      count: buf.readUInt32LE(33),
      recvTs: buf.readDoubleLE(25),
    };
  },
};
