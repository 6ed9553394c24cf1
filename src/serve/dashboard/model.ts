/**
 * The dashboard's model: pure functions, no DOM, no imports that survive compilation, so the
 * browser loads this file as it is (`/dashboard/model.js`) and tests run it under Node.
 * The view (`view.ts`) only renders what these functions return.
 */

/** The candle fields the chart uses; API rows and WebSocket candles both have them. */
export interface BarSource {
  openTime: number;
  /** The bucket's last ms (API rows and WebSocket candles have it). */
  closeTime?: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** A lightweight-charts candlestick point; `time` is UTC seconds; colours only on gap bars. */
export interface ChartBar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  color?: string;
  wickColor?: string;
  borderColor?: string;
}

/** A time range `[fromTs, toTs)` when the pipeline was not running (`gaps` of a candles response). */
export interface Gap {
  fromTs: number;
  toTs: number;
}

/** A lightweight-charts histogram point. */
export interface VolumeBar {
  time: number;
  value: number;
  color: string;
}

export const UP_COLOR = '#26a69a';
export const DOWN_COLOR = '#ef5350';
/** Bars of a downtime gap: not a quiet market, the pipeline was not running. */
export const GAP_COLOR = '#5d6370';
/** Bars kept in memory and on the chart. */
export const MAX_BARS = 5_000;

/** Whether a bar's bucket overlaps one of `gaps`. */
export function inGap(c: BarSource, gaps: readonly Gap[]): boolean {
  const closeTime = c.closeTime ?? c.openTime;
  return gaps.some((g) => c.openTime < g.toTs && closeTime >= g.fromTs);
}

export function toChartBar(c: BarSource, gaps: readonly Gap[] = []): ChartBar {
  const bar = { time: Math.floor(c.openTime / 1000), open: c.open, high: c.high, low: c.low, close: c.close };
  return inGap(c, gaps) ? { ...bar, color: GAP_COLOR, wickColor: GAP_COLOR, borderColor: GAP_COLOR } : bar;
}

export function toVolumeBar(c: BarSource, gaps: readonly Gap[] = []): VolumeBar {
  return {
    time: Math.floor(c.openTime / 1000),
    value: c.volume,
    color: inGap(c, gaps) ? GAP_COLOR : c.close >= c.open ? `${UP_COLOR}80` : `${DOWN_COLOR}80`,
  };
}

/** The note beside the chart: how many candles, and the downtime gaps among them. */
export function chartNote(candles: number, gaps: readonly Gap[]): string {
  if (gaps.length === 0) return `${candles} candles`;
  const downMs = gaps.reduce((sum, g) => sum + (g.toTs - g.fromTs), 0);
  return `${candles} candles · grey: pipeline not running (${gaps.length === 1 ? '1 gap' : `${gaps.length} gaps`}, ${formatDuration(downMs)})`;
}

/**
 * What the chart must do after a change: redraw everything (`reset`), update or append the
 * newest bar (`update`, which lightweight-charts does cheaply), or nothing.
 */
export type ChartChange = { kind: 'reset' } | { kind: 'update'; bar: BarSource } | { kind: 'none' };

/** Bars oldest first, unique by `openTime`, at most `maxBars`. */
export function setBars(candles: readonly BarSource[], maxBars = MAX_BARS): BarSource[] {
  const byOpen = new Map<number, BarSource>();
  for (const c of candles) byOpen.set(c.openTime, c);
  const bars = [...byOpen.values()].sort((a, b) => a.openTime - b.openTime);
  return bars.length > maxBars ? bars.slice(bars.length - maxBars) : bars;
}

/**
 * Applies one candle update to `bars` in place. A revision of an older bar needs a full redraw,
 * since lightweight-charts only updates its newest bar cheaply; a bar older than all kept ones
 * is ignored.
 */
export function applyCandle(bars: BarSource[], candle: BarSource, maxBars = MAX_BARS): ChartChange {
  const last = bars[bars.length - 1];
  if (last === undefined || candle.openTime > last.openTime) {
    bars.push(candle);
    if (bars.length > maxBars) bars.splice(0, bars.length - maxBars);
    return { kind: 'update', bar: candle };
  }
  if (candle.openTime === last.openTime) {
    bars[bars.length - 1] = candle;
    return { kind: 'update', bar: candle };
  }
  const index = bars.findIndex((b) => b.openTime === candle.openTime);
  if (index < 0) return { kind: 'none' };
  bars[index] = candle;
  return { kind: 'reset' };
}

/** Decimals that show every price of `bars` (at most 8, the house precision; at least 2). */
export function pricePrecision(bars: readonly BarSource[]): number {
  let precision = 2;
  for (const b of bars.slice(-200)) {
    for (const price of [b.open, b.close]) {
      const text = price.toFixed(8).replace(/0+$/, '');
      const decimals = text.length - text.indexOf('.') - 1;
      if (decimals > precision) precision = decimals;
    }
  }
  return Math.min(precision, 8);
}

export interface SymbolChoice {
  /** `<venue>:<symbol>`, the select's value. */
  value: string;
  label: string;
  venue: string;
  symbol: string;
  intervals: string[];
}

export function symbolChoices(
  symbols: readonly { venue: string; symbol: string; intervals: string[] }[],
): SymbolChoice[] {
  return symbols.map((s) => ({
    value: `${s.venue}:${s.symbol}`,
    label: `${s.symbol} · ${s.venue}`,
    venue: s.venue,
    symbol: s.symbol,
    intervals: s.intervals.length > 0 ? s.intervals : ['1m'],
  }));
}

/** Keeps the current interval when the symbol has it, else `1m`, else the symbol's first. */
export function pickInterval(intervals: readonly string[], current: string | undefined): string {
  if (current !== undefined && intervals.includes(current)) return current;
  if (intervals.includes('1m')) return '1m';
  return intervals[0] ?? '1m';
}

export function candlesUrl(venue: string, symbol: string, interval: string, limit: number): string {
  const query = new URLSearchParams({ venue, symbol, interval, limit: String(limit) });
  return `/api/v1/candles?${query.toString()}`;
}

export function candleChannelName(venue: string, symbol: string, interval: string): string {
  return `candles:${venue}:${symbol}:${interval}`;
}

export function wsUrl(protocol: string, host: string): string {
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`;
}

/** Exponential backoff for reconnects: 0.5 s, 1 s, 2 s, … up to 30 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** Math.max(0, attempt));
}

export interface StatusLike {
  sources: { name: string; state: string; trades: number; rejected: number }[];
  speed: { lag: number; tradesProcessed: number; lateDropped: number };
  rejected: { total: number; byReason: Record<string, number> };
  throughput: { tradesPerSec: number };
  startedAt: number;
}

export interface StatusView {
  /** Label and text pairs, in display order. */
  figures: [string, string][];
  sources: { name: string; state: string; ok: boolean; trades: string; rejected: string }[];
  /** Rejection reasons, most frequent first. */
  rejectedByReason: [string, string][];
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

export function statusView(status: StatusLike, nowMs: number): StatusView {
  return {
    figures: [
      ['trades/s', count(status.throughput.tradesPerSec)],
      ['processed', count(status.speed.tradesProcessed)],
      ['lag (records)', count(status.speed.lag)],
      ['late dropped', count(status.speed.lateDropped)],
      ['rejected', count(status.rejected.total)],
      ['uptime', formatDuration(nowMs - status.startedAt)],
    ],
    sources: status.sources.map((s) => ({
      name: s.name,
      state: s.state,
      ok: ['running', 'connected', 'live', 'ok', 'open', 'done'].includes(s.state),
      trades: count(s.trades),
      rejected: count(s.rejected),
    })),
    rejectedByReason: Object.entries(status.rejected.byReason)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]): [string, string] => [reason, count(n)]),
  };
}

export type ServerMessage =
  | { type: 'snapshot'; channel: string; candles?: BarSource[]; status?: StatusLike }
  | { type: 'update'; channel: string; candle?: BarSource; status?: StatusLike }
  | { type: 'error'; code: string; message: string; channel?: string }
  | { type: 'pong' | 'unsubscribed'; channel?: string };

/** Parses a frame from `/ws`; undefined for anything the dashboard does not know. */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as { type?: unknown }).type;
  return type === 'snapshot' ||
    type === 'update' ||
    type === 'error' ||
    type === 'pong' ||
    type === 'unsubscribed'
    ? (value as ServerMessage)
    : undefined;
}

/** How often the batch panels (movers, trending) are fetched again; batch views change hourly at most. */
export const BATCH_REFRESH_MS = 30_000;
/** Shown in a panel while the batch layer has nothing for it (or the process runs without one). */
export const PLACEHOLDER = '—';

/** One cell of a side-panel table; `className` is `ok`, `bad`, `num` or empty. */
export interface PanelCell {
  text: string;
  className: string;
}

export const MOVERS_URLS = [
  '/api/v1/movers?period=24h&type=gainers&limit=5',
  '/api/v1/movers?period=24h&type=losers&limit=5',
];
export const TRENDING_URL = '/api/v1/trending?limit=5';

/** A price at the house precision (≤ 8 decimals, at least 2), never in exponent notation. */
export function formatPrice(price: number): string {
  const text = price.toFixed(8).replace(/0+$/, '');
  const decimals = text.length - text.indexOf('.') - 1;
  return decimals < 2 ? price.toFixed(2) : text;
}

const placeholder = (columns: number): PanelCell[][] => [
  Array.from({ length: columns }, (_, i) => ({ text: i === 0 ? PLACEHOLDER : '', className: '' })),
];

/**
 * Rows of the movers panel from `/api/v1/movers` bodies (gainers, then losers): symbol, change
 * over the period, last close. A `partial` mover (less history than the period) shows the span its
 * change covers: `+3.20% in 2h 5m`. A body that is not a movers list (503 without a batch layer,
 * a network error) adds nothing; with no row at all, one placeholder row.
 */
export function moverRows(bodies: readonly unknown[]): PanelCell[][] {
  const rows: PanelCell[][] = [];
  for (const body of bodies) {
    const movers = (body as { movers?: unknown } | undefined)?.movers;
    if (!Array.isArray(movers)) continue;
    for (const m of movers as {
      symbol: string;
      changePct: number;
      close: number;
      partial?: boolean;
      fromTs?: number;
      asOfTs?: number;
    }[]) {
      const change = `${m.changePct >= 0 ? '+' : ''}${m.changePct.toFixed(2)}%`;
      const span =
        m.partial === true && m.fromTs !== undefined && m.asOfTs !== undefined
          ? ` in ${formatDuration(m.asOfTs - m.fromTs)}`
          : '';
      rows.push([
        { text: m.symbol, className: '' },
        { text: change + span, className: m.changePct >= 0 ? 'ok num' : 'bad num' },
        { text: formatPrice(m.close), className: 'num' },
      ]);
    }
  }
  return rows.length > 0 ? rows : placeholder(3);
}

/** Rows of the trending panel from a `/api/v1/trending` body: rank, symbol, score; or a placeholder row. */
export function trendingRows(body: unknown): PanelCell[][] {
  const trending = (body as { trending?: unknown } | undefined)?.trending;
  if (!Array.isArray(trending) || trending.length === 0) return placeholder(3);
  return (trending as { rank: number; symbol: string; score: number }[]).map((t) => [
    { text: String(t.rank), className: '' },
    { text: t.symbol, className: '' },
    { text: t.score.toFixed(3), className: 'num' },
  ]);
}
