/**
 * Binance payloads as the exchange sends them (wire types). They stay in `ingest`: parsers turn
 * them into domain `Trade`s and nothing downstream sees these shapes.
 */

/**
 * `<symbol>@aggTrade` stream: trades of one taker order at one price, aggregated. Spot frames
 * end with `M`; futures frames (USD-M on fstream.binance.com, COIN-M on dstream.binance.com)
 * never carry it, and put `a` before `s`. COIN-M symbols name a contract, and their `q` counts
 * contracts.
 *
 * @example spot
 * {"e":"aggTrade","E":1618677373913,"s":"SWRVBUSD","a":749094,"p":"2.27600000",
 *  "q":"21.96300000","f":1135632,"l":1135632,"T":1618677373912,"m":false,"M":true}
 * @example USD-M futures
 * {"e":"aggTrade","E":1626992741575,"a":16599292,"s":"CTKUSDT","p":"1.01100","q":"10",
 *  "f":23961322,"l":23961322,"T":1626992741421,"m":false}
 * @example COIN-M futures
 * {"e":"aggTrade","E":1626916404006,"a":11285749,"s":"BCHUSD_PERP","p":"427.91","q":"3",
 *  "f":16034449,"l":16034449,"T":1626916403852,"m":true}
 */
export interface WsAggTrade {
  e: 'aggTrade';
  /** Event time, ms (µs when the stream was opened with `timeUnit=MICROSECOND`). */
  E: number;
  s: string;
  /** Aggregate trade id. */
  a: number;
  /** Price, decimal string. */
  p: string;
  /** Quantity in the base asset, decimal string. */
  q: string;
  /** First and last raw trade id. */
  f: number;
  l: number;
  /** Trade time. */
  T: number;
  /** Is the buyer the market maker? true: the taker sold. */
  m: boolean;
  /** Ignore (spot only). */
  M?: boolean;
}

/**
 * `<symbol>@trade` stream: one raw trade.
 *
 * @example
 * {"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100",
 *  "T":1672515782136,"m":true,"M":true}
 */
export interface WsTrade {
  e: 'trade';
  E: number;
  s: string;
  /** Trade id. */
  t: number;
  p: string;
  q: string;
  T: number;
  m: boolean;
  M?: boolean;
}

/** A frame of a combined stream (`/stream?streams=a/b`): the stream name and its payload. */
export interface WsCombinedFrame {
  stream: string;
  data: unknown;
}

/** A subscription reply (`{"result":null,"id":1}`) or error (`{"error":{...},"id":1}`). */
export interface WsReply {
  id: number | string | null;
  result?: unknown;
  error?: unknown;
}

/** A recorded frame, one JSON object per line: receive time in seconds and the frame. */
export interface RecordedFrame {
  received_at: number;
  raw: unknown;
}

/**
 * A row of an aggTrades dump from data.binance.vision, with or without a header row
 * (futures dumps lack `is_best_match`; `BINANCE_CSV_LAYOUTS` says which column holds what).
 * Times are ms, or µs in SPOT dumps from 2025-01-01.
 *
 * `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match`
 * @example 13519807,0.00141342,23.00000000,15373518,15373518,1570752011620,true,true
 */
export type CsvAggTradeRow = [
  aggTradeId: string,
  price: string,
  quantity: string,
  firstTradeId: string,
  lastTradeId: string,
  transactTime: string,
  isBuyerMaker: string,
  isBestMatch?: string,
];

/**
 * A row of a trades dump from data.binance.vision (futures dumps lack `is_best_match`; COIN-M
 * dumps have `base_qty` where the others have `quote_qty`).
 *
 * `id,price,qty,quote_qty,time,is_buyer_maker,is_best_match`
 * @example 15373518,0.00141342,23.00000000,0.03250866,1570752011620,true,true
 */
export type CsvTradeRow = [
  id: string,
  price: string,
  qty: string,
  quoteQty: string,
  time: string,
  isBuyerMaker: string,
  isBestMatch?: string,
];
