import {
  type BatchReader,
  type Candle,
  type CandleQuery,
  type CandleReader,
  compareSeries,
  compareText,
  type DailyMarketMetric,
  INTERVALS,
  type JobRun,
  type Mover,
  type QualityCheck,
  type Rejected,
  type SymbolInfo,
  symbolKey,
  type TrendingScore,
  type UnixMs,
} from '../../src/domain/index.js';
import type { ServeDeps, SystemStatus } from '../../src/serve/index.js';

/** An in-memory `ServeDeps` for tests: candles pushed in are readable and fanned out to live listeners. */
export interface FakeDeps {
  deps: ServeDeps;
  /** Stores a candle (replacing one with the same series and open time) and notifies listeners. */
  push(candle: Candle): void;
  status: SystemStatus;
  rejected: Rejected[];
  /** Queries received by `candles()`. */
  queries: CandleQuery[];
  /** Live-feed listeners currently subscribed. */
  liveListeners(): number;
}

const seriesKey = (s: { venue: string; symbol: string; interval: string }): string =>
  `${s.venue}|${s.symbol}|${s.interval}`;

export const T0 = Date.UTC(2024, 0, 2, 0, 0, 0);

export function candle(overrides: Partial<Candle> = {}): Candle {
  const openTime = overrides.openTime ?? T0;
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    interval: '1m',
    openTime,
    closeTime: openTime + 59_999,
    open: 42_000.5,
    high: 42_100.25,
    low: 41_900,
    close: 42_050.125,
    volume: 12.5,
    quoteVolume: 525_000.75,
    trades: 321,
    takerBuyVolume: 6.25,
    takerBuyQuoteVolume: 262_500.5,
    state: 'closed',
    source: 'speed',
    ...overrides,
  };
}

/** `count` consecutive candles of one series starting at `T0`. */
export function series(count: number, overrides: Partial<Candle> = {}, intervalMs = 60_000): Candle[] {
  return Array.from({ length: count }, (_, i) =>
    candle({
      ...overrides,
      openTime: T0 + i * intervalMs,
      closeTime: T0 + (i + 1) * intervalMs - 1,
      close: 100 + i,
    }),
  );
}

export function emptyStatus(): SystemStatus {
  return {
    sources: [{ name: 'binance-ws', state: 'running', trades: 1_000, rejected: 3 }],
    speed: {
      lag: 7,
      tradesProcessed: 997,
      lateDropped: 1,
      revised: 2,
      watermarks: [{ venue: 'binance', symbol: 'BTC-USDT', watermarkTs: T0 + 5 * 60_000 }],
    },
    rejected: { total: 3, byReason: { invalid_price: 2, bad_json: 1 } },
    throughput: { tradesPerSec: 12.5 },
    startedAt: T0,
  };
}

/**
 * An in-memory `CandleReader` over `candles()` (read at each call, so tests can change them):
 * the read contract (`domain/read-contracts.ts`) done the plainest way. Series info comes from
 * the candles: the first 1m candle with trades, the newest close; `lastTradeTs` is null (a store
 * of candles does not see trades). `watermarkOf` gives each series' watermark.
 */
export function memoryCandleReader(
  candles: () => Iterable<Candle>,
  watermarkOf: (venue: string, symbol: string) => UnixMs | undefined,
): CandleReader {
  const bySeries = (): Map<string, Candle[]> => {
    const out = new Map<string, Candle[]>();
    for (const c of candles()) {
      const key = `${c.venue}|${c.symbol}`;
      const list = out.get(key) ?? [];
      list.push(c);
      out.set(key, list);
    }
    return out;
  };
  const infoOf = (list: readonly Candle[]): SymbolInfo => {
    const first = list[0] as Candle;
    const minutes = list.filter((c) => c.interval === '1m').sort((a, b) => a.openTime - b.openTime);
    const newest = (minutes.length > 0 ? minutes : [...list].sort((a, b) => a.openTime - b.openTime)).at(-1);
    return {
      venue: first.venue,
      symbol: first.symbol,
      intervals: INTERVALS.filter((i) => list.some((c) => c.interval === i)),
      firstTradeTs: minutes.find((c) => c.trades > 0)?.openTime ?? null,
      lastTradeTs: null,
      lastPrice: newest?.close ?? null,
    };
  };
  const all = (): SymbolInfo[] => [...bySeries().values()].map(infoOf).sort(compareSeries);
  return {
    series: (venue, symbol) => {
      const list = bySeries().get(`${venue}|${symbol}`);
      return list === undefined ? undefined : infoOf(list);
    },
    find: (key) =>
      all()
        .filter((s) => symbolKey(s.symbol) === key)
        .sort((a, b) => compareText(a.venue, b.venue)),
    hasVenue: (venue) => all().some((s) => s.venue === venue),
    symbols: all,
    candles(query) {
      const rows = [...(bySeries().get(`${query.venue}|${query.symbol}`) ?? [])]
        .filter(
          (c) =>
            c.interval === query.interval &&
            (query.from === undefined || c.openTime >= query.from) &&
            (query.to === undefined || c.openTime <= query.to),
        )
        .sort((a, b) => a.openTime - b.openTime);
      return query.limit <= 0 ? [] : rows.slice(Math.max(0, rows.length - query.limit));
    },
    watermarkTs: (venue, symbol) =>
      bySeries().has(`${venue}|${symbol}`) ? watermarkOf(venue, symbol) : undefined,
  };
}

export function createFakeDeps(initial: readonly Candle[] = []): FakeDeps {
  const store = new Map<string, Map<number, Candle>>();
  const listeners = new Map<string, Set<(candle: Candle) => void>>();
  const queries: CandleQuery[] = [];
  const put = (c: Candle): void => {
    const key = seriesKey(c);
    const bucket = store.get(key) ?? new Map<number, Candle>();
    store.set(key, bucket);
    bucket.set(c.openTime, c);
  };
  for (const c of initial) put(c);
  const reader = memoryCandleReader(
    function* () {
      for (const bucket of store.values()) yield* bucket.values();
    },
    (venue, symbol) =>
      fake.status.speed.watermarks.find((w) => w.venue === venue && w.symbol === symbol)?.watermarkTs,
  );

  const fake: FakeDeps = {
    status: emptyStatus(),
    // The three records `emptyStatus()` counts.
    rejected: [
      rejectedRecord({ reason: 'invalid_price', origin: 'frame 3' }),
      rejectedRecord({ reason: 'invalid_price', origin: 'frame 2' }),
      rejectedRecord({ reason: 'bad_json', origin: 'frame 1' }),
    ],
    queries,
    push(c) {
      put(c);
      for (const listener of listeners.get(seriesKey(c)) ?? []) listener(c);
    },
    liveListeners: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
    deps: {
      candles: {
        ...reader,
        candles(query) {
          queries.push(query);
          return reader.candles(query);
        },
      },
      live: {
        subscribeCandles(s, listener) {
          const key = seriesKey(s);
          const set = listeners.get(key) ?? new Set<(candle: Candle) => void>();
          listeners.set(key, set);
          // A fresh wrapper per subscription, so two subscriptions with one listener stay distinct.
          const wrapper = (c: Candle): void => listener(c);
          set.add(wrapper);
          return () => set.delete(wrapper);
        },
      },
      status: () => fake.status,
      rejected: {
        recent: (limit) => fake.rejected.slice(0, limit),
        // Counted from the same records it lists, as the read contract asks.
        counts() {
          const byReason: Record<string, number> = {};
          for (const r of fake.rejected) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
          return { total: fake.rejected.length, byReason };
        },
      },
    },
  };
  return fake;
}

/** The gold rows an in-memory `BatchReader` answers from; tests change them between requests. */
export interface FakeBatch {
  reader: BatchReader;
  /** The batch watermark of every series it holds (and the status'), unless `seriesWatermarks` has one. */
  watermarkTs: UnixMs | undefined;
  /** Per-series batch watermarks, by `venue|symbol`. */
  seriesWatermarks: Record<string, UnixMs>;
  /** Batch candles of every series; `candles()` returns those ending before the series' watermark. */
  candles: Candle[];
  daily: DailyMarketMetric[];
  movers: Mover[];
  trending: TrendingScore[];
  quality: QualityCheck[];
  /** Any order; `runs()` answers newest first. */
  runs: JobRun[];
  lake: { files: number; bytes: number };
  /** Ranges received by `candles()`. */
  candleQueries: { from: UnixMs | undefined; to: UnixMs | undefined }[];
}

const latestDate = (rows: readonly { date: string }[]): string | undefined =>
  rows
    .map((r) => r.date)
    .sort()
    .at(-1);

export function createFakeBatch(rows: Partial<Omit<FakeBatch, 'reader' | 'candleQueries'>> = {}): FakeBatch {
  const watermarkOf = (venue: string, symbol: string): UnixMs | undefined =>
    fake.seriesWatermarks[`${venue}|${symbol}`] ?? fake.watermarkTs;
  // Only the candles that end before their series' watermark are the batch views' to serve.
  const store = memoryCandleReader(
    () =>
      fake.candles.filter((c) => c.closeTime < (watermarkOf(c.venue, c.symbol) ?? Number.NEGATIVE_INFINITY)),
    watermarkOf,
  );
  const fake: FakeBatch = {
    watermarkTs: undefined,
    seriesWatermarks: {},
    candles: [],
    daily: [],
    movers: [],
    trending: [],
    quality: [],
    runs: [],
    lake: { files: 0, bytes: 0 },
    candleQueries: [],
    ...rows,
    reader: {
      series: async (venue, symbol) => store.series(venue, symbol),
      find: async (key) => store.find(key),
      hasVenue: async (venue) => store.hasVenue(venue),
      symbols: async () => store.symbols(),
      watermarkTs: async (venue, symbol) => store.watermarkTs(venue, symbol),
      async candles(q) {
        fake.candleQueries.push({ from: q.from, to: q.to });
        return store.candles(q);
      },
      async daily(date) {
        const day = date ?? latestDate(fake.daily);
        return fake.daily.filter((d) => d.date === day);
      },
      async movers(period, type, limit) {
        return fake.movers
          .filter((m) => m.period === period && m.type === type)
          .sort((a, b) => a.rank - b.rank)
          .slice(0, limit);
      },
      async trending(limit) {
        return [...fake.trending].sort((a, b) => a.rank - b.rank).slice(0, limit);
      },
      async quality(date) {
        const day = date ?? latestDate(fake.quality);
        return fake.quality.filter((q) => q.date === day);
      },
      async runs(limit) {
        return [...fake.runs].sort((a, b) => b.startedAt - a.startedAt).slice(0, limit);
      },
      status() {
        const lastRuns = new Map<string, JobRun>();
        for (const run of [...fake.runs].sort((a, b) => a.startedAt - b.startedAt))
          lastRuns.set(run.job, run);
        return { watermarkTs: fake.watermarkTs ?? null, lastRuns: [...lastRuns.values()], lake: fake.lake };
      },
    },
  };
  return fake;
}

export function rejectedRecord(overrides: Partial<Rejected> = {}): Rejected {
  return {
    stage: 'ingest:binance-ws',
    reason: 'invalid_price',
    detail: 'price must be positive',
    payload: '{"p":"-1"}',
    origin: 'wss://stream.binance.com frame 1',
    ts: T0,
    ...overrides,
  };
}

export function mover(overrides: Partial<Mover> = {}): Mover {
  return {
    period: '24h',
    type: 'gainers',
    rank: 1,
    venue: 'binance',
    symbol: 'BTC-USDT',
    asOfTs: T0,
    open: 100,
    close: 110,
    changePct: 10,
    volume: 5,
    quoteVolume: 525,
    fromTs: T0 - 86_400_000,
    partial: false,
    ...overrides,
  };
}

export function trendingScore(overrides: Partial<TrendingScore> = {}): TrendingScore {
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    hourTs: T0,
    rank: 1,
    score: 0.75,
    volatilityRaw: 0.02,
    volatilityScore: 0.5,
    volumeSpikeRaw: 3,
    volumeSpikeScore: 1,
    tradeGrowthRaw: 1.5,
    tradeGrowthScore: 0.6,
    whaleShareRaw: 0.1,
    whaleShareScore: 0.9,
    ...overrides,
  };
}

export function dailyMetric(overrides: Partial<DailyMarketMetric> = {}): DailyMarketMetric {
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    date: '2024-01-02',
    open: 100,
    high: 120,
    low: 90,
    close: 110,
    volume: 10,
    quoteVolume: 1_050,
    trades: 42,
    vwap: 105,
    change: 10,
    changePct: 10,
    realizedVolatility: null,
    ...overrides,
  };
}

export function qualityCheck(overrides: Partial<QualityCheck> = {}): QualityCheck {
  return {
    check: 'duplicates',
    date: '2024-01-02',
    venue: 'binance',
    symbol: '',
    status: 'pass',
    value: 0,
    threshold: 0,
    detail: '',
    ...overrides,
  };
}

export function jobRun(overrides: Partial<JobRun> = {}): JobRun {
  return {
    id: 'candles-2024-01-02-1',
    job: 'candles',
    date: '2024-01-02',
    trigger: 'sealed',
    status: 'succeeded',
    attempts: 1,
    startedAt: T0,
    finishedAt: T0 + 1_000,
    durationMs: 1_000,
    rows: 1_440,
    inputUntilTs: T0 + 3_600_000,
    error: null,
    ...overrides,
  };
}
