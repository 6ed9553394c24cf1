import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { type Interval, isInterval } from '../../domain/index.js';
import { MAX_LIMIT } from '../schemas.js';

/**
 * The `/ws` protocol. Every message is one JSON object per text frame.
 *
 * Client → server:
 * - `{"op":"subscribe","channel":"candles:binance:BTC-USDT:1m"}`, optionally with `"limit": n`
 *   (1..10000, candles in the snapshot). `candles:<symbol>:<interval>` (venue resolved as in
 *   `GET /api/v1/candles`) and `BTCUSDT` are accepted; replies name the canonical channel.
 *   Answered by `{"type":"snapshot","channel","candles":[…oldest first…]}`, then one
 *   `{"type":"update","channel","candle":{…}}` per candle update, in order. Subscribing again
 *   sends a fresh snapshot and never duplicates updates.
 * - `{"op":"subscribe","channel":"status"}` → `{"type":"snapshot","channel":"status","status":{…}}`,
 *   then `{"type":"update","channel":"status","status":{…}}` every second.
 * - `{"op":"unsubscribe","channel":"…"}` → `{"type":"unsubscribed","channel":"…"}` (also when
 *   not subscribed).
 * - `{"op":"ping"}` → `{"type":"pong","ts":<server ms>}`.
 *
 * Any message may carry an `"id"` (string or number), echoed on its direct reply.
 * A bad message gets `{"type":"error","code","message"}` (plus `channel` and `id` when known)
 * and the socket stays open. Codes: `BAD_MESSAGE`, `UNKNOWN_OP`, `INVALID_CHANNEL`,
 * `UNKNOWN_SYMBOL`, `UNKNOWN_VENUE`, `INVALID_PARAMETER`, `TOO_MANY_SUBSCRIPTIONS`, `INTERNAL_ERROR`.
 * A client too slow to read is sent the latest state of each candle instead of every update,
 * and is closed with 1008 `slow_consumer: …` if it falls too far behind.
 */
const MessageId = Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Number()]));

export const ClientMessageSchema = Type.Union([
  Type.Object({
    op: Type.Literal('subscribe'),
    channel: Type.String({ maxLength: 128 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })),
    id: MessageId,
  }),
  Type.Object({ op: Type.Literal('unsubscribe'), channel: Type.String({ maxLength: 128 }), id: MessageId }),
  Type.Object({ op: Type.Literal('ping'), id: MessageId }),
]);
export type ClientMessage = Static<typeof ClientMessageSchema>;

const clientMessage = Compile(ClientMessageSchema);
const OPS = new Set(['subscribe', 'unsubscribe', 'ping']);

export interface ProtocolError {
  error: { code: 'BAD_MESSAGE' | 'UNKNOWN_OP' | 'INVALID_PARAMETER'; message: string };
  id?: string | number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one text frame from a client. */
export function parseClientMessage(text: string): ClientMessage | ProtocolError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: { code: 'BAD_MESSAGE', message: 'message is not valid JSON' } };
  }
  if (!isRecord(value)) return { error: { code: 'BAD_MESSAGE', message: 'message must be a JSON object' } };
  const id = typeof value['id'] === 'string' || typeof value['id'] === 'number' ? value['id'] : undefined;
  const withId = (error: ProtocolError['error']): ProtocolError =>
    id === undefined ? { error } : { error, id };
  if (clientMessage.Check(value)) return value;
  const op = value['op'];
  if (typeof op !== 'string') return withId({ code: 'BAD_MESSAGE', message: 'message needs a string "op"' });
  if (!OPS.has(op)) {
    return withId({
      code: 'UNKNOWN_OP',
      message: `unknown op "${op}"; expected subscribe, unsubscribe or ping`,
    });
  }
  if (op !== 'ping' && typeof value['channel'] !== 'string') {
    return withId({ code: 'BAD_MESSAGE', message: `"${op}" needs a string "channel"` });
  }
  if ('limit' in value) {
    return withId({ code: 'INVALID_PARAMETER', message: `"limit" must be an integer in [1, ${MAX_LIMIT}]` });
  }
  return withId({ code: 'BAD_MESSAGE', message: `malformed "${op}" message` });
}

export type ChannelRef =
  | { kind: 'status' }
  | { kind: 'candles'; venue: string | undefined; symbol: string; interval: Interval };

const SYMBOL = /^[A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,20})?$/;
const VENUE = /^[A-Za-z0-9_-]{1,32}$/;

/** Parses `status`, `candles:<venue>:<symbol>:<interval>` or `candles:<symbol>:<interval>`. */
export function parseChannel(name: string): ChannelRef | undefined {
  if (name === 'status') return { kind: 'status' };
  const parts = name.split(':');
  if (parts[0] !== 'candles' || parts.length < 3 || parts.length > 4) return undefined;
  const [venue, symbol, interval] = parts.length === 4 ? parts.slice(1) : [undefined, ...parts.slice(1)];
  if (symbol === undefined || !SYMBOL.test(symbol) || !isInterval(interval)) return undefined;
  if (venue !== undefined && !VENUE.test(venue)) return undefined;
  return { kind: 'candles', venue: venue?.toLowerCase(), symbol, interval };
}
