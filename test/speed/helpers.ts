import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Candle, Trade } from '../../src/domain/index.js';

/** Repository root, from `dist/test/speed/` where the compiled tests run. */
export const REPO_ROOT = new URL('../../../', import.meta.url);

export const MINUTE = 60_000;
/** 2019-10-11T00:00:00Z. */
export const DAY0 = Date.UTC(2019, 9, 11);

let nextId = 1;

/** A trade with sensible defaults; ids count up unless given. */
export function trade(fields: Partial<Trade> & { ts: number; price: number }): Trade {
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    tradeId: String(nextId++),
    qty: 1,
    side: 'buy',
    count: 1,
    recvTs: fields.ts,
    ...fields,
  };
}

/** Collects emitted candles; `emit` is the callback to hand to the operator. */
export function collector(): { out: Candle[]; emit: (candle: Candle) => void } {
  const out: Candle[] = [];
  return { out, emit: (candle) => out.push(candle) };
}

/** The last emission per (venue, symbol, interval, openTime): what a view ends with. */
export function latest(candles: readonly Candle[]): Map<string, Candle> {
  const map = new Map<string, Candle>();
  for (const c of candles) map.set(`${c.venue}|${c.symbol}|${c.interval}|${c.openTime}`, c);
  return map;
}

export interface AggTradeRow {
  trade: Trade;
  count: number;
}

/**
 * A minimal reader of the data.binance.vision aggTrades CSV (gzip, header row) into domain
 * trades; the real parser lives in `ingest`.
 */
export function readAggTrades(relativePath: string, symbol: string): Trade[] {
  const text = gunzipSync(readFileSync(new URL(relativePath, REPO_ROOT))).toString('utf8');
  const trades: Trade[] = [];
  for (const line of text.split('\n').slice(1)) {
    if (line.trim() === '') continue;
    const [id, price, qty, first, last, ts, buyerMaker] = line.split(',');
    trades.push({
      venue: 'binance',
      symbol,
      tradeId: String(id),
      ts: Number(ts),
      price: Number(price),
      qty: Number(qty),
      side: buyerMaker === 'true' ? 'sell' : 'buy',
      count: Number(last) - Number(first) + 1,
      recvTs: Number(ts),
    });
  }
  return trades;
}

export interface KlineRow {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export function readKlines(relativePath: string): KlineRow[] {
  const text = readFileSync(new URL(relativePath, REPO_ROOT), 'utf8');
  return text
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [openTime, open, high, low, close, volume] = line.split(',').map(Number);
      return {
        openTime: openTime as number,
        open: open as number,
        high: high as number,
        low: low as number,
        close: close as number,
        volume: volume as number,
      };
    });
}
