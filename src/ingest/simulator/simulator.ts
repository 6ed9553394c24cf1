import { CryptoLambdaError, isCanonicalSymbol, type Trade } from '../../domain/index.js';
import { INGEST_ERRORS } from '../errors.js';
import { sleepUnlessAborted, yieldToEventLoop } from '../sleep.js';
import type { Source, SourceBatch, SourceRunOptions, SourceState } from '../source.js';
import { DEFAULT_SIM_SYMBOLS, initialState, nextTrade, type SimSymbol, toMarket } from './market.js';
import { decodeSimPosition, encodeSimPosition, type SimPosition } from './position.js';
import { createRng, type Rng } from './rng.js';

/** How the market simulator runs. Every field is optional; see `SIMULATOR_DEFAULTS`. */
export interface SimulatorOptions {
  /** @default DEFAULT_SIM_SYMBOLS (BTC-USDT near 60000, ETH-USDT near 3000, … eight markets) */
  symbols?: readonly SimSymbol[];
  /** Target aggregate trade rate over all symbols (bursts and lulls average out). @default 50 */
  tradesPerSec?: number;
  /** PRNG seed; the same seed, clock and options give the same trades. @default the clock at creation */
  seed?: number;
  /** The clock. @default Date.now */
  now?: () => number;
  /**
   * `true`: trades arrive in real time, with bursts. `false` (load tests, benchmarks): event
   * times are spaced exactly `1000 / tradesPerSec` ms apart from `startTs`, made without sleeping.
   * @default true
   */
  realtime?: boolean;
  /** First event time when not realtime. @default the clock when the first run starts */
  startTs?: number;
  /** Stop (state `finished`) after this many trades in all. @default undefined: never */
  maxTrades?: number;
  /** Most trades per batch. @default 1000 */
  batchSize?: number;
  /** Longest sleep between realtime batches. @default 100 */
  tickIntervalMs?: number;
  /**
   * First trade id of every symbol. The realtime default, the clock in ms, keeps ids rising
   * across restarts (below 1000 trades/s per symbol) so the log's dedup never drops new trades.
   * @default realtime ? the clock when the first run starts : 1
   */
  firstTradeId?: number;
}

export const SIMULATOR_DEFAULTS = {
  symbols: DEFAULT_SIM_SYMBOLS,
  tradesPerSec: 50,
  seed: undefined,
  now: Date.now,
  realtime: true,
  startTs: undefined,
  maxTrades: undefined,
  batchSize: 1000,
  tickIntervalMs: 100,
  firstTradeId: undefined,
} satisfies { [K in keyof Required<SimulatorOptions>]: SimulatorOptions[K] };

/** Bursts: a calm regime and a busy one, whose rates average to the target. */
const CALM = { rate: 0.7, meanSec: 20 };
const BURST = { rate: 4, meanSec: 2 };

/**
 * A `Source` of synthetic trades (venue `sim`): geometric-Brownian prices with jumps on real
 * tick sizes, lognormal sizes with whales, bursty arrivals. Positions carry the whole model
 * state, so `fromPosition` continues the exact sequence.
 *
 * Its batches have no `raw` part: the simulator receives nothing, it makes its trades, so there
 * is no payload as received for bronze (the `raw` topic gets nothing from it).
 * @throws CryptoLambdaError `INGEST_BAD_OPTION` for options out of range.
 */
export function createSimulator(options: SimulatorOptions = {}): Source {
  const o = resolve(options);
  const markets = o.symbols.map(toMarket);
  const cumulative = cumulativeWeights(o.symbols);
  const seed = o.seed ?? o.now();
  let state: SourceState = 'idle';

  function pickIndex(rng: Rng): number {
    const u = rng.next();
    let i = 0;
    while (i < cumulative.length - 1 && u >= (cumulative[i] ?? 1)) i++;
    return i;
  }

  function start(fromPosition: string | undefined): SimPosition {
    if (fromPosition !== undefined) return decodeSimPosition(fromPosition, markets.length);
    const nowMs = o.now();
    const startTs = o.realtime ? nowMs : (o.startTs ?? nowMs);
    const firstId = o.firstTradeId ?? (o.realtime ? nowMs : 1);
    return {
      rng: createRng(seed).state(),
      seq: 0,
      nextMs: startTs,
      burst: false,
      startTs,
      symbols: markets.map((m) => initialState(m, firstId, startTs)),
    };
  }

  /** Makes up to `limit` trades whose event time has come (`untilMs`); advances `pos`. */
  function generate(pos: SimPosition, rng: Rng, untilMs: number, limit: number, nowMs: number): Trade[] {
    const trades: Trade[] = [];
    while (trades.length < limit && (o.maxTrades === undefined || pos.seq < o.maxTrades)) {
      let ts: number;
      if (o.realtime) {
        if (pos.nextMs > untilMs) break;
        ts = Math.floor(pos.nextMs);
        const regime = pos.burst ? BURST : CALM;
        const gapSec = rng.exponential() / (o.tradesPerSec * regime.rate);
        if (rng.next() < gapSec / regime.meanSec) pos.burst = !pos.burst;
        pos.nextMs += gapSec * 1000;
      } else {
        ts = pos.startTs + Math.floor((pos.seq * 1000) / o.tradesPerSec);
      }
      const index = pickIndex(rng);
      const market = markets[index];
      const symbolState = pos.symbols[index];
      if (market === undefined || symbolState === undefined) break;
      trades.push(nextTrade(market, symbolState, rng, ts, o.realtime ? Math.max(ts, nowMs) : ts));
      pos.seq++;
    }
    pos.rng = rng.state();
    return trades;
  }

  async function* run(options: SourceRunOptions): AsyncGenerator<SourceBatch> {
    const { signal } = options;
    const pos = start(options.fromPosition);
    if (o.realtime) pos.nextMs = Math.max(pos.nextMs, o.now());
    const rng = createRng(pos.rng);
    while (!signal.aborted) {
      if (o.maxTrades !== undefined && pos.seq >= o.maxTrades) {
        state = 'finished';
        return;
      }
      const nowMs = o.now();
      const trades = generate(pos, rng, nowMs, o.batchSize, nowMs);
      if (trades.length > 0) {
        yield { trades, rejected: [], ignored: 0, position: encodeSimPosition(pos) };
      }
      if (!o.realtime) await yieldToEventLoop();
      else if (trades.length < o.batchSize) {
        const waitMs = Math.min(o.tickIntervalMs, Math.max(1, pos.nextMs - o.now()));
        await sleepUnlessAborted(waitMs, signal);
      }
    }
    state = 'stopped';
  }

  return {
    name: 'simulator',
    state: () => state,
    async *batches(options: SourceRunOptions): AsyncGenerator<SourceBatch> {
      state = 'running';
      try {
        yield* run(options);
      } catch (error) {
        state = 'failed';
        throw error;
      } finally {
        if (state === 'running') state = 'stopped';
      }
    },
  };
}

type ResolvedSimulatorOptions = Omit<
  typeof SIMULATOR_DEFAULTS,
  'seed' | 'startTs' | 'maxTrades' | 'firstTradeId'
> &
  Pick<SimulatorOptions, 'seed' | 'startTs' | 'maxTrades' | 'firstTradeId'> & {
    symbols: readonly SimSymbol[];
  };

function resolve(options: SimulatorOptions): ResolvedSimulatorOptions {
  const o: ResolvedSimulatorOptions = { ...SIMULATOR_DEFAULTS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) Object.assign(o, { [key]: value });
  }
  check(o.symbols.length > 0, 'symbols must list at least one market');
  for (const s of o.symbols) {
    check(isCanonicalSymbol(s.symbol), `symbol ${JSON.stringify(s.symbol)} must be canonical BASE-QUOTE`);
    for (const key of ['price', 'tickSize', 'lotSize', 'weight', 'medianNotional'] as const) {
      check(Number.isFinite(s[key]) && s[key] > 0, `${s.symbol}: ${key} must be a positive number`);
    }
    check(Number.isFinite(s.volatility) && s.volatility >= 0, `${s.symbol}: volatility must be ≥ 0`);
  }
  check(Number.isFinite(o.tradesPerSec) && o.tradesPerSec > 0, 'tradesPerSec must be a positive number');
  check(Number.isInteger(o.batchSize) && o.batchSize >= 1, 'batchSize must be a positive integer');
  check(Number.isFinite(o.tickIntervalMs) && o.tickIntervalMs >= 1, 'tickIntervalMs must be ≥ 1');
  check(
    o.maxTrades === undefined || (Number.isInteger(o.maxTrades) && o.maxTrades >= 0),
    'maxTrades must be ≥ 0',
  );
  check(o.seed === undefined || Number.isFinite(o.seed), 'seed must be a number');
  check(o.startTs === undefined || Number.isSafeInteger(o.startTs), 'startTs must be integer ms');
  check(
    o.firstTradeId === undefined || (Number.isSafeInteger(o.firstTradeId) && o.firstTradeId >= 0),
    'firstTradeId must be an integer ≥ 0',
  );
  return o;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new CryptoLambdaError(INGEST_ERRORS.badOption, `simulator: ${message}`);
}

function cumulativeWeights(symbols: readonly SimSymbol[]): number[] {
  const total = symbols.reduce((sum, s) => sum + s.weight, 0);
  let running = 0;
  return symbols.map((s) => {
    running += s.weight / total;
    return running;
  });
}
