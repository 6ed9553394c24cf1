import type { Candle, Interval } from '../domain/index.js';

/** A row as DuckDB reads it from gold Parquet: snake_case columns. */
export type GoldRow = Record<string, unknown>;

/** A gold row with its domain record's field names: snake_case to camelCase, BIGINT to number. */
export function camelRow(row: GoldRow): GoldRow {
  const out: GoldRow = {};
  for (const [key, value] of Object.entries(row)) {
    out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] =
      typeof value === 'bigint' ? Number(value) : value;
  }
  return out;
}

/** A row of candles columns (gold, or the candles SQL's output) as a final batch candle. */
export function candleFromRow(row: GoldRow): Candle {
  const r = camelRow(row);
  return {
    venue: r['venue'] as string,
    symbol: r['symbol'] as string,
    interval: r['interval'] as Interval,
    openTime: r['openTime'] as number,
    closeTime: r['closeTime'] as number,
    open: r['open'] as number,
    high: r['high'] as number,
    low: r['low'] as number,
    close: r['close'] as number,
    volume: r['volume'] as number,
    quoteVolume: r['quoteVolume'] as number,
    trades: r['trades'] as number,
    takerBuyVolume: r['takerBuyVolume'] as number,
    takerBuyQuoteVolume: r['takerBuyQuoteVolume'] as number,
    state: 'closed',
    source: 'batch',
  };
}
